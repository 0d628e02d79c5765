"""Share reference + PIN guessing (issue 13): 3 tries per call, a lock that expires and says how
long, and the owner calling with caller ID is never locked out."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from ivr.extensions import db
from ivr.models.guesses import GuessAttempt
from ivr.shares.models import Share
from ivr.models.base import utcnow
from tests.stories.factories import returning_caller
from tests.shares.test_shares_mine import make_share, post, press
from tests.twiml import gather, spoken

ANON = dict(number="anonymous")


@pytest.fixture
def app_config(redis_url):
    """Jobs queue on Redis (unworked) so share states stay put."""
    return {"REDIS_URL": redis_url}


def pin_query(twilio, ref, sid):
    """Start a withheld call, key the reference; returns the PIN gather's query string."""
    post(twilio, "/voice/incoming", sid=sid, **ANON)
    root = press(twilio, "my_shares_ref", ref + "#", sid=sid, **ANON)
    return "?" + gather(root).get("action").split("?", 1)[1]


def test_three_tries_per_call_then_the_main_menu(twilio, app):
    share_id, ref, _ = make_share(app, "RE-t3", pin="2468")
    query = pin_query(twilio, ref, "CAT")
    assert "do not match" in spoken(press(twilio, "my_shares_pin", "1110#", query, sid="CAT", **ANON))
    # The second miss in a row starts again (never hung up, issue 10); the try still counts.
    assert "start again" in spoken(press(twilio, "my_shares_pin", "1111#", query, sid="CAT", **ANON))
    root = press(twilio, "my_shares_pin", "1112#", query, sid="CAT", **ANON)
    assert "the last try" in spoken(root) and gather(root).get("action").endswith("/voice/step/main_menu/input")
    # A fourth try on the same call, even with the right PIN, is not checked.
    root = press(twilio, "my_shares_pin", "2468#", query, sid="CAT", **ANON)
    assert "Its number is" not in spoken(root) and "the last try" in spoken(root)


def test_the_lock_expires_and_says_how_long(twilio, app):
    share_id, ref, _ = make_share(app, "RE-lock", pin="2468")
    for call_no, tries in enumerate((3, 2)):  # 5 wrong tries over two calls lock the share
        query = pin_query(twilio, ref, f"CAL{call_no}")
        for n in range(tries):
            press(twilio, "my_shares_pin", f"000{n}#", query, sid=f"CAL{call_no}", **ANON)
    query = pin_query(twilio, ref, "CAL8")
    root = press(twilio, "my_shares_pin", "2468#", query, sid="CAL8", **ANON)
    assert "locked for 15 minutes" in spoken(root) and "call from the phone you recorded it on" in spoken(root)
    with app.app_context():  # 16 minutes later the owner's PIN works again
        db.session.execute(update(GuessAttempt).values(at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    query = pin_query(twilio, ref, "CAL9")
    root = press(twilio, "my_shares_pin", "2468#", query, sid="CAL9", **ANON)
    assert f"Its number is {', '.join(ref)}." in spoken(root)


def test_the_owner_with_caller_id_is_never_locked_out(twilio, app):
    me = returning_caller(app)
    share_id, ref, _ = make_share(app, "RE-own", me, pin="2468")
    for call_no in range(4):  # strangers lock the share by its reference
        query = pin_query(twilio, ref, f"CAS{call_no}")
        for n in range(3):
            press(twilio, "my_shares_pin", f"000{n}#", query, sid=f"CAS{call_no}", **ANON)
    post(twilio, "/voice/incoming", sid="CAOWN")
    root = press(twilio, "options", "3", sid="CAOWN")
    assert f"Its number is {', '.join(ref)}." in spoken(root)
    press(twilio, "my_shares", "1", f"?s={share_id}", sid="CAOWN")
    assert "withdrawn" in spoken(press(twilio, "my_share_confirm", "1", f"?s={share_id}&a=1", sid="CAOWN"))
    with app.app_context():
        assert db.session.get(Share, share_id).status == "withdrawn"


def test_share_lock_prompts_exist_in_both_languages_and_name_the_crisis_key(app):
    prompts = app.extensions["peerline.flows"].prompts
    for pid in ("my_shares_no_more_tries", "my_shares_locked_minutes", "my_shares_locked_hours"):
        assert not prompts.missing_languages(pid)
        assert "press 0" in prompts.table[pid]["en"] and "oprima 0" in prompts.table[pid]["es"]
