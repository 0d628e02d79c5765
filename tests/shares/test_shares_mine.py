"""A caller's own shares from options: status, withdraw, delete; by caller ID or reference + PIN."""
import pytest
from sqlalchemy import select

from ivr.shares import domain as shares
from ivr.calls.callers import number_hash
from ivr.extensions import db
from ivr.calls.models import Caller, CallStep
from ivr.shares.models import Share, ShareAudit
from ivr.storage import storage
from tests.stories.factories import NUMBER, returning_caller
from tests.twiml import gather, parse, spoken


@pytest.fixture
def app_config(redis_url):
    """Jobs queue on Redis (unworked) so share states stay put."""
    return {"REDIS_URL": redis_url}


def post(twilio, path, sid="CA1", number=NUMBER, **form):
    """One signed webhook."""
    return parse(twilio.post(path, {"CallSid": sid, "From": number, "To": "+15550001111", **form}))


def press(twilio, step, digits, query="", **kw):
    """Press keys at a step's input."""
    return post(twilio, f"/voice/step/{step}/input{query}", Digits=digits, **kw)


def make_share(app, rec, caller_id=None, pin=None, status="queued"):
    """A share as the workers would leave it, with audio on disk."""
    with app.app_context():
        share = shares.receive_recording(rec, "CA0", None, 30, caller_id, "en", "library", False,
                                         pin_hash=shares.hash_pin(pin) if pin else None)
        key = storage().put(f"shares/{share.id}/original.wav", b"RIFF-fake-audio")
        shares.record_processing_result(share.id, transcript={"text": "my story"}, original_key=key)
        if status != "queued":
            share.status = status
        db.session.commit()
        return share.id, share.reference, key


def test_known_caller_hears_status_and_withdraws(twilio, app):
    me = returning_caller(app)
    older, _, _ = make_share(app, "RE-old", me, status="published")
    newer, ref, _ = make_share(app, "RE-new", me)
    post(twilio, "/voice/incoming")
    root = press(twilio, "options", "3")
    said = spoken(root)
    assert "To hear about your shares" not in said  # the options menu is gone: we are in the list
    assert "Message 1 of 2." in said and f"Its number is {', '.join(ref)}." in said
    assert "waiting for our team to listen" in said and "To withdraw it, press 1" in said
    assert gather(root).get("action").endswith(f"/voice/step/my_shares/input?s={newer}")
    assert "For your next message, press 6" in said
    root = press(twilio, "my_shares", "6", f"?s={newer}")
    assert "Message 2 of 2." in spoken(root) and "It is in the story library" in spoken(root)
    assert "next share" not in spoken(root)  # it is the last one
    root = press(twilio, "my_shares", "1", f"?s={older}")
    assert "never be used or heard by others" in spoken(root)
    assert gather(root).get("action").endswith(f"/voice/step/my_share_confirm/input?s={older}&a=1")
    root = press(twilio, "my_share_confirm", "1", f"?s={older}&a=1")
    assert "Your message is withdrawn." in spoken(root)
    with app.app_context():
        assert db.session.get(Share, older).status == "withdrawn"
        assert db.session.get(Share, newer).status == "queued"
        assert [(a.share_id, a.action) for a in db.session.execute(select(ShareAudit)).scalars()] == [(older, "withdrawn")]


def test_known_caller_deletes_and_everything_goes(twilio, app):
    me = returning_caller(app)
    share_id, _, key = make_share(app, "RE-1", me)
    post(twilio, "/voice/incoming")
    press(twilio, "options", "3")
    root = press(twilio, "my_shares", "2", f"?s={share_id}")
    assert "for good" in spoken(root)
    root = press(twilio, "my_share_confirm", "#", f"?s={share_id}&a=2")  # changed their mind
    assert "Nothing was changed." in spoken(root)
    root = press(twilio, "my_share_confirm", "1", f"?s={share_id}&a=2")
    assert "Your message is deleted." in spoken(root)
    with app.app_context():
        share = db.session.get(Share, share_id)
        assert share.status == "deleted" and share.transcript is None and share.original_key is None
        assert not storage().exists(key)
        audit = db.session.execute(select(ShareAudit)).scalar_one()
        assert (audit.action, audit.actor) == ("deleted", "caller")
    root = press(twilio, "options", "3")
    assert "There are no messages from this phone." in spoken(root)


def test_caller_without_shares(twilio, app):
    returning_caller(app)
    post(twilio, "/voice/incoming")
    root = press(twilio, "options", "3")
    assert "There are no messages" in spoken(root)
    assert gather(root).get("action").endswith("/voice/step/options/input")


def test_someone_elses_share_cannot_be_touched(twilio, app):
    returning_caller(app)
    with app.app_context():
        other = Caller(number_hash=number_hash("+15550009999", app.config["CALLER_HASH_KEY"]), language="en",
                       heard_howto=True)
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    theirs, _, _ = make_share(app, "RE-theirs", other_id)
    post(twilio, "/voice/incoming")
    press(twilio, "my_share_confirm", "1", f"?s={theirs}&a=2")
    with app.app_context():
        assert db.session.get(Share, theirs).status == "queued"


def test_withheld_number_by_reference_and_pin(twilio, app):
    share_id, ref, key = make_share(app, "RE-anon", pin="2468")
    anon = dict(number="anonymous")
    post(twilio, "/voice/incoming", **anon)
    root = press(twilio, "options", "3", **anon)
    assert "six digit number of your message" in spoken(root)
    root = press(twilio, "my_shares_ref", "12#", **anon)
    assert "that number needs six digits" in spoken(root)
    root = press(twilio, "my_shares_ref", ref + "#", **anon)
    assert "four digit PIN" in spoken(root)
    pin_url = gather(root).get("action")
    query = "?" + pin_url.split("?", 1)[1]
    root = press(twilio, "my_shares_pin", "1111#", query, **anon)
    assert "do not match a message" in spoken(root)
    with app.app_context():
        assert db.session.get(Share, share_id).pin_failures == 1
    # a forged confirm for a share this call has not unlocked changes nothing
    press(twilio, "my_share_confirm", "1", f"?s={share_id}&a=2", **anon)
    with app.app_context():
        assert db.session.get(Share, share_id).status == "queued"
    root = press(twilio, "my_shares_pin", "2468#", query, **anon)
    assert f"Its number is {', '.join(ref)}." in spoken(root) and "waiting for our team to listen" in spoken(root)
    assert "next share" not in spoken(root)
    root = press(twilio, "my_shares", "2", f"?s={share_id}", **anon)
    root = press(twilio, "my_share_confirm", "1", f"?s={share_id}&a=2", **anon)
    assert "deleted" in spoken(root)
    with app.app_context():
        share = db.session.get(Share, share_id)
        assert share.status == "deleted" and not storage().exists(key)
        outcomes = " ".join(s.outcome or "" for s in db.session.execute(select(CallStep)).scalars())
        assert "2468" not in outcomes and "1111" not in outcomes


def test_unknown_reference_asks_for_the_pin_then_says_no_match(twilio, app):
    anon = dict(number="anonymous")
    post(twilio, "/voice/incoming", **anon)
    root = press(twilio, "my_shares_ref", "999999#", **anon)
    assert "four digit PIN" in spoken(root)  # whether a reference exists is not revealed
    query = "?" + gather(root).get("action").split("?", 1)[1]
    assert query == "?s=0"
    root = press(twilio, "my_shares_pin", "1234#", query, **anon)
    assert "do not match" in spoken(root)


def _choices(call, mark) -> list[str]:
    """The <Say> texts heard since `mark` (each prompt is one <Say>)."""
    return [e.text for e in call.transcript[mark:] if e.kind == "say"]


def test_a_withdrawn_share_offers_only_delete(phone, app):
    me = returning_caller(app)
    share_id, _, key = make_share(app, "RE-w", me)
    call = phone(NUMBER)
    call.press("9")  # options
    call.press("3")  # my shares
    assert "To withdraw it, press 1. To delete it, press 2." in call.heard()
    call.press("1")
    call.press("1")  # confirm: withdrawn
    with app.app_context():
        assert db.session.get(Share, share_id).status == "withdrawn"
    mark = call.mark()
    call.press("3")  # back at options: my shares again
    heard = _choices(call, mark)
    assert "You withdrew it. It will not be used." in heard
    assert heard[-1] == "To delete it, press 2. To go back, press pound. For the crisis line, press 0."
    assert not any("withdraw it" in t for t in heard)
    mark = call.mark()
    call.press("1")  # the old withdraw key is not a choice here
    heard = _choices(call, mark)
    assert heard[0].startswith("Sorry") and heard[-1].startswith("To delete it, press 2.")
    with app.app_context():
        assert db.session.get(Share, share_id).status == "withdrawn"
    call.press("2")
    call.press("1")  # confirm: deleted
    assert "Your message is deleted." in call.heard()
    with app.app_context():
        assert db.session.get(Share, share_id).status == "deleted" and not storage().exists(key)


def test_a_withdrawn_share_reached_by_reference_and_pin_offers_only_delete(phone, app):
    share_id, ref, _ = make_share(app, "RE-anon-w", pin="2468", status="withdrawn")
    call = phone("anonymous")
    call.press("1")  # English
    call.press("5")  # skip the tip
    call.press("9")
    call.press("3")
    call.press(ref + "#")
    mark = call.mark()
    call.press("2468#")
    heard = _choices(call, mark)
    assert "You withdrew it. It will not be used." in heard and not any("withdraw it" in t for t in heard)
    assert heard[-1].startswith("To delete it, press 2.")
    call.press("1")
    with app.app_context():
        assert db.session.get(Share, share_id).status == "withdrawn"  # nothing happened


def test_withdrawn_choices_in_spanish(app):
    prompts = app.extensions["peerline.flows"].prompts
    for pid in ("my_share_choices_withdrawn", "my_share_choices_withdrawn_one"):
        assert not prompts.missing_languages(pid)
        assert "retirar" not in prompts.text(pid, "es") and "oprima 0" in prompts.text(pid, "es")
