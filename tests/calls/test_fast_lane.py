"""The fast lane: a remembered keypress is answered in front of Flask, and only when Flask would give
the same answer (signed, a form within the size limit); everything else reaches Flask intact."""
from urllib.parse import urlsplit

from ivr.calls import menu_moves, routes
from tests.calls.test_menu_moves import FORM, NUMBERS, action, call_in, press, returning_callers, state_of
from tests.twiml import parse, spoken


def remembered_options(twilio, app) -> str:
    """Caller 0 builds "9 at the main menu"; caller 1's main-menu URL, where the same key is remembered."""
    returning_callers(app)
    press(twilio, 0, action(call_in(twilio, 0)), "9")
    return action(call_in(twilio, 1))


def refuse_the_view(monkeypatch) -> list[str]:
    """Make the Flask view fail loudly: whatever it would have answered, the lane answered instead."""
    reached: list[str] = []

    def view_reached(*args, **kwargs):
        reached.append("flask")
        raise AssertionError("the keypress reached the Flask view")
    monkeypatch.setattr(routes, "input_answer", view_reached)
    return reached


def test_a_remembered_keypress_never_reaches_flask(twilio, app, monkeypatch):
    url = remembered_options(twilio, app)
    reached = refuse_the_view(monkeypatch)
    recalled = menu_moves.of(app).recalled
    answer = press(twilio, 1, url, "9")
    assert reached == [] and menu_moves.of(app).recalled == recalled + 1
    assert "Options. To change the language, press 1." in spoken(answer)
    assert state_of(action(answer)).step == "options"


def test_a_keypress_not_remembered_reaches_flask_with_its_body(twilio, app, monkeypatch):
    url = remembered_options(twilio, app)
    answer = press(twilio, 1, url, "1")  # stories: counted, so never remembered; Flask reads the body
    assert "stories" in spoken(answer).lower()


def test_a_remembered_move_badly_signed_is_refused(twilio, app, monkeypatch):
    url = remembered_options(twilio, app)
    refuse_the_view(monkeypatch)
    form = {**FORM, "CallSid": "CAmove1", "From": NUMBERS[1], "Digits": "9"}
    wrong = twilio.validator.compute_signature(url, {**form, "Digits": "8"})  # signed for another key
    r = twilio.client.post(urlsplit(url).path, data=form, headers={"X-Twilio-Signature": wrong})
    assert r.status_code == 403
    r = twilio.client.post(urlsplit(url).path, data=form)  # no signature at all
    assert r.status_code == 403


def test_a_remembered_move_with_a_body_over_the_limit_gets_flasks_413(twilio, app):
    url = remembered_options(twilio, app)
    app.config["MAX_CONTENT_LENGTH"] = 600
    r = twilio.post(urlsplit(url).path, {**FORM, "CallSid": "CAmove1", "From": NUMBERS[1], "Digits": "9",
                                        "Padding": "x" * 700})
    assert r.status_code == 413


def test_a_remembered_answer_in_production_carries_hsts_like_any_other(twilio, app):
    url = remembered_options(twilio, app)
    app.config["PEERLINE_ENV"] = "production"
    r = twilio.post(urlsplit(url).path, {**FORM, "CallSid": "CAmove1", "From": NUMBERS[1], "Digits": "9"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Options." in spoken(parse(r))


def test_a_query_is_part_of_the_move(twilio, app, monkeypatch):
    url = remembered_options(twilio, app)
    reached = refuse_the_view(monkeypatch)
    r = twilio.post(urlsplit(url).path + "?story=12", {**FORM, "CallSid": "CAmove1", "From": NUMBERS[1], "Digits": "9"})
    assert reached == ["flask"]  # not the remembered move: Flask built it (here, the refusing stand-in)
    assert r.status_code == 200 and "something went wrong" in spoken(parse(r))
