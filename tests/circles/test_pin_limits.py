"""Facilitator PIN guessing (issue 13): tries counted by their own time, per call, per caller and
per circle; the registered facilitator is never locked out by strangers; 6-digit PINs."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from ivr import guesses
from ivr.circles import domain as circles
from ivr.calls.callers import number_hash
from ivr.extensions import db
from ivr.circles.models import CircleCall, CircleFacilitator
from ivr.models.guesses import GuessAttempt
from ivr.models.base import utcnow
from tests.circles.test_circles_voice import PIN, dial_of, open_circle
from tests.calls.test_voice_incoming import call, press
from tests.twiml import spoken

FACILITATOR_PHONE = "+15550107777"


def to_pin_prompt(twilio, sid, number):
    """A call that keys circle 3 at the facilitator sign-in."""
    call(twilio, sid=sid, number=number)
    press(twilio, "main_menu", "2", sid=sid, number=number)
    press(twilio, "circle_menu", "8", sid=sid, number=number)
    press(twilio, "circle_fac_number", "3#", sid=sid, number=number)


def wrong(twilio, sid, number, times=3):
    """Key a wrong PIN `times` times on one call; returns the last TwiML."""
    root = None
    for n in range(times):
        root = press(twilio, "circle_fac_pin", f"90000{n}#", sid=sid, number=number)
    return root


def test_three_wrong_tries_end_the_call_attempt_and_a_return_checks_no_more_pins(twilio, app):
    open_circle(app)
    to_pin_prompt(twilio, "CAX", "+15550100001")
    root = wrong(twilio, "CAX", "+15550100001")
    assert "did not work again" in spoken(root) and root.find("Dial") is None
    # Back at the PIN prompt on the same call (a replayed webhook): even the right PIN is not checked.
    root = press(twilio, "circle_fac_pin", PIN + "#", sid="CAX", number="+15550100001")
    assert root.find("Dial") is None and "last PIN try" in spoken(root)
    with app.app_context():
        assert db.session.query(GuessAttempt).filter_by(call_sid="CAX").count() == 3


def test_old_circle_state_does_not_escape_the_circle_pause(twilio, app):
    """The review's call: circle state older than 15 minutes used to be left out of the count."""
    open_circle(app)
    for n in range(4):  # 4 strangers x 3 wrong = 12 wrong PINs, each call's state made an hour old
        sid, number = f"CAO{n}", f"+1555012{n:04d}"
        to_pin_prompt(twilio, sid, number)
        with app.app_context():
            db.session.execute(update(CircleCall).values(created_at=utcnow() - timedelta(hours=1)))
            db.session.commit()
        wrong(twilio, sid, number)
    to_pin_prompt(twilio, "CAR", "+15550129999")
    root = press(twilio, "circle_fac_pin", PIN + "#", sid="CAR", number="+15550129999")
    assert root.find("Dial") is None
    assert "paused for 15 minutes" in spoken(root)


def test_one_caller_is_paused_across_calls(twilio, app):
    open_circle(app)
    number = "+15550130000"
    for n in range(2):  # the same number, 2 calls x 3 wrong = 6
        to_pin_prompt(twilio, f"CAC{n}", number)
        wrong(twilio, f"CAC{n}", number)
    to_pin_prompt(twilio, "CAC9", number)
    root = press(twilio, "circle_fac_pin", PIN + "#", sid="CAC9", number=number)
    assert root.find("Dial") is None and "paused for 60 minutes" in spoken(root)
    # Another caller is not paused by this one (the circle has 6 wrong tries, under its 10).
    to_pin_prompt(twilio, "CAF", FACILITATOR_PHONE)
    dial_of(press(twilio, "circle_fac_pin", PIN + "#", sid="CAF", number=FACILITATOR_PHONE))


def test_registered_facilitator_phone_skips_the_circle_pause(twilio, app):
    open_circle(app)
    with app.app_context():
        facilitator = db.session.query(CircleFacilitator).one()
        circles.register_facilitator_phone(facilitator, number_hash(FACILITATOR_PHONE, app.config["CALLER_HASH_KEY"]))
        db.session.commit()
    for n in range(4):
        to_pin_prompt(twilio, f"CAS{n}", f"+1555014{n:04d}")
        wrong(twilio, f"CAS{n}", f"+1555014{n:04d}")
    to_pin_prompt(twilio, "CAU", "+15550149999")  # an unregistered phone with the right PIN waits
    assert press(twilio, "circle_fac_pin", PIN + "#", sid="CAU", number="+15550149999").find("Dial") is None
    to_pin_prompt(twilio, "CAF", FACILITATOR_PHONE)
    dial_of(press(twilio, "circle_fac_pin", PIN + "#", sid="CAF", number=FACILITATOR_PHONE))


def test_the_circle_pause_grows_and_expires(app):
    with app.app_context():
        now = utcnow()

        def wrong_tries(count, at):
            for n in range(count):
                guesses.note(guesses.CIRCLE_PIN, 7, f"CA{at.timestamp()}-{n}", None, ok=False, now=at)

        wrong_tries(9, now - timedelta(minutes=1))
        assert guesses.target_pause(guesses.CIRCLE_PIN, 7, now) is None
        wrong_tries(1, now)
        assert guesses.target_pause(guesses.CIRCLE_PIN, 7, now) == timedelta(minutes=15)
        assert guesses.target_pause(guesses.CIRCLE_PIN, 7, now + timedelta(minutes=16)) is None
        wrong_tries(10, now)
        assert guesses.target_pause(guesses.CIRCLE_PIN, 7, now) == timedelta(hours=1)
        wrong_tries(10, now)
        assert guesses.target_pause(guesses.CIRCLE_PIN, 7, now) == timedelta(hours=24)
        assert guesses.target_pause(guesses.CIRCLE_PIN, 7, now + timedelta(hours=25)) is None  # all expired
        assert guesses.target_pause(guesses.CIRCLE_PIN, 8, now) is None  # another circle


def test_new_facilitators_need_six_digit_pins(app):
    with app.app_context():
        circle_id = open_circle(app)
        circle = db.session.get(circles.Circle, circle_id)
        for short in ("1234", "12345"):
            with pytest.raises(circles.CircleError):
                circles.add_facilitator(circle, "Lee", short)
        assert circles.add_facilitator(circle, "Lee", "123456").id


def test_pin_limit_prompts_exist_in_both_languages_and_name_the_crisis_key(app):
    prompts = app.extensions["peerline.flows"].prompts
    for pid in ("circle_fac_pin_no_more_tries", "circle_fac_pin_paused_minutes", "circle_fac_pin_paused_hours"):
        assert not prompts.missing_languages(pid)
        assert "press 0" in prompts.table[pid]["en"] and "oprima 0" in prompts.table[pid]["es"]
