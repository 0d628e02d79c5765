"""Whole calls through the phone simulator: record then keep / record again / discard, repeated and
out-of-order callbacks, hang-up mid-recording, withdraw by reference number plus PIN.
Recordings are espeak-ng speech; the database is checked after each scenario."""
import pytest
from sqlalchemy import select

from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import Share, ShareAudit
from tests.stories.factories import NUMBER, returning_caller, spoken_wav

SPEECH = "I want to tell you about the day things started to get better for me."


@pytest.fixture
def app_config(redis_url):
    """Processing jobs wait on a real Redis queue (nobody works it): the test sees what was enqueued."""
    return {"REDIS_URL": redis_url}


@pytest.fixture
def wav():
    """A few seconds of real speech."""
    return spoken_wav(SPEECH)


def all_shares(app):
    """Every share row, detached for reading."""
    with app.app_context():
        rows = db.session.execute(select(Share).order_by(Share.id)).scalars().all()
        db.session.expunge_all()
        return rows


def queued(app):
    """Job ids on the rq queue."""
    with app.app_context():
        from ivr.jobs import queue
        return sorted(queue().job_ids)


def to_the_beep(call, consent="2", disguise="1", pin=None):
    """Main menu -> voice share -> choices (and a PIN for a withheld number) -> the <Record>."""
    call.press("3")
    assert "Nobody else hears it before that" in call.heard()
    call.press(consent)
    if consent == "2":
        call.press(disguise)
    if pin:
        assert "four digit PIN" in call.heard()
        call.press(pin)
    assert call.entries("beep") or "After the beep" in call.heard()
    assert call.waiting.kind == "record"


def spoken_reference(call, share):
    """True if the caller heard the share's reference digit by digit."""
    return ", ".join(share.reference) in call.heard()


def told_no_number_needed(call):
    """A caller known by caller ID hears the message is saved and that no number is needed."""
    return "Your message is saved" in call.heard() and "you will not need a number" in call.heard()


def test_record_then_keep(phone, app, sim, wav):
    returning_caller(app)
    call = phone(NUMBER)
    to_the_beep(call)
    call.record(wav, finish_key="#")
    assert "To hear your message, press 1" in call.heard()
    call.press("1")  # hear it back: Twilio plays its own copy
    played = call.entries("play")[-1]
    assert "/Recordings/RE" in played.text and played.attrs.get("seconds", 0) > 2
    call.press("2")  # keep
    rows = all_shares(app)
    assert len(rows) == 1
    share = rows[0]
    assert (share.status, share.consent, share.disguise) == ("received", "library", True)
    assert share.duration_s >= 3 and share.caller_id is not None
    assert sim.recordings.get(share.recording_sid) is not None
    assert told_no_number_needed(call) and not spoken_reference(call, share)
    assert "Thank you for sharing" in call.heard()
    assert queued(app) == [f"share-{share.recording_sid}"]
    assert len(sim.callbacks_of("recording-status")) == 1
    call.hangup()
    assert not sim.errors


def test_record_again_then_keep(phone, app, sim, wav):
    returning_caller(app)
    call = phone(NUMBER)
    to_the_beep(call, consent="1")
    call.record(wav, finish_key="#")
    call.press("3")  # record again
    assert call.waiting.kind == "record"
    call.record(spoken_wav("This is my second try, and I am keeping it."), finish_key="#")
    call.press("2")
    first, second = all_shares(app)
    assert (first.status, second.status) == ("discarded", "received")
    assert (second.consent, second.disguise) == ("private", False)
    assert told_no_number_needed(call) and not spoken_reference(call, second)
    assert queued(app) == sorted([f"share-{first.recording_sid}", f"forget-{first.recording_sid}",
                                  f"share-{second.recording_sid}"])
    # the discarded one's processing finds nothing to do; its Twilio copy is deleted by the forget job
    with app.app_context():
        assert shares.mark_processing(first.id) is None
        assert shares.forget_twilio_copy(first.id) is True
    assert sim.recordings.get(first.recording_sid) is None
    assert sim.recordings.get(second.recording_sid) is not None


def test_discard(phone, app, sim, wav):
    returning_caller(app)
    call = phone(NUMBER)
    to_the_beep(call)
    sim.faults.hold_callbacks = True  # the recording callback comes after the caller's choice
    call.record(wav, finish_key="#")
    call.press("4")
    assert "Your recording is deleted" in call.heard()
    assert all_shares(app) == []
    sim.release_callbacks()
    (share,) = all_shares(app)
    assert share.status == "discarded" and share.recording_url is None
    assert queued(app) == [f"forget-{share.recording_sid}"]  # never processed
    with app.app_context():
        shares.forget_twilio_copy(share.id)
        assert [a.action for a in db.session.execute(select(ShareAudit)).scalars()] == ["discarded"]
    assert sim.recordings.get(share.recording_sid) is None


def test_repeated_and_out_of_order_callbacks(phone, app, sim, wav):
    returning_caller(app)
    sim.faults.duplicate_callbacks = 2
    sim.faults.reorder_callbacks = True
    call = phone(NUMBER)
    to_the_beep(call)
    call.record(wav, finish_key="#")
    call.press("2")
    call.hangup()
    assert len(sim.callbacks_of("recording-status")) == 3
    assert all(d.status == 204 for d in sim.callbacks_of("recording-status"))
    rows = all_shares(app)
    assert len(rows) == 1 and rows[0].status == "received"
    assert queued(app) == [f"share-{rows[0].recording_sid}"]


def test_hang_up_mid_recording(phone, app, sim, wav):
    returning_caller(app)
    call = phone(NUMBER)
    to_the_beep(call)
    call.record(wav, hangup=True)
    assert call.ended
    (share,) = all_shares(app)
    assert share.status == "received" and share.duration_s >= 3
    assert queued(app) == [f"share-{share.recording_sid}"]


def test_silence_is_recorded_as_absent_and_offers_a_retry(phone, app, sim):
    returning_caller(app)
    call = phone(NUMBER)
    to_the_beep(call)
    call.silence()
    assert "I did not hear a recording" in call.heard()
    # Twilio reports the absent recording: it is kept as such, never processed, never dropped
    assert [(s.status, s.failure_reason) for s in all_shares(app)] == [("failed", "twilio:absent")]
    assert queued(app) == []
    call.press("#")  # back to the menu; the caller's shares do not list what was never heard
    call.press("9")
    call.press("3")
    assert "There are no messages from this phone." in call.heard()


def test_withdraw_by_reference_and_pin(phone, app, sim, wav):
    call = phone("anonymous")
    call.press("1")  # English
    call.press("1")  # skip the how-to
    to_the_beep(call, consent="2", disguise="2", pin="1357")
    call.record(wav, finish_key="#")
    call.press("2")
    assert "With this number and your PIN" in call.heard()
    (share,) = all_shares(app)
    assert share.caller_id is None and share.pin_hash
    reference = share.reference
    call.hangup()

    again = phone("anonymous")
    again.press("1")
    again.press("1")
    again.press("9")  # options
    again.press("3")  # your shares
    assert "six digit number of your message" in again.heard()
    again.press(reference + "#")
    again.press("0000#")
    assert "do not match a message" in again.heard()
    again.press(reference + "#")
    again.press("1357#")
    assert "waiting for our team to listen" in again.heard()
    again.press("1")  # withdraw
    again.press("1")  # confirm
    assert "Your message is withdrawn." in again.heard()
    (share,) = all_shares(app)
    assert share.status == "withdrawn" and share.pin_failures == 0
    with app.app_context():
        assert [(a.action, a.actor) for a in db.session.execute(select(ShareAudit)).scalars()] == [("withdrawn", "caller")]


def test_callback_before_the_record_action(phone, app, sim, wav):
    returning_caller(app)
    sim.faults.early_callbacks = True  # Twilio's recording callback overtakes the <Record> action
    call = phone(NUMBER)
    to_the_beep(call)
    call.record(wav, finish_key="#")
    (share,) = all_shares(app)
    assert share.status == "received"
    call.press("1")  # hear it: the share exists, so no pause is needed
    assert not call.entries("pause") and call.entries("play")
    call.press("2")
    assert told_no_number_needed(call)
    assert [s.id for s in all_shares(app)] == [share.id]
    assert queued(app) == [f"share-{share.recording_sid}"]


def test_zero_while_recording_keeps_a_draft_and_the_caller_comes_back_to_it(phone, app, sim, wav):
    returning_caller(app)
    call = phone(NUMBER)
    to_the_beep(call, consent="1")
    mark = call.mark()
    call.record(wav, finish_key="0")  # 0 ends the recording and goes to the crisis step
    after = call.since(mark)
    assert "We kept your recording. You can come back to it." in after
    assert [e.text for e in call.entries("dial")] == [app.config["CRISIS_NUMBER"]]
    (share,) = all_shares(app)
    assert share.status == "received"  # persisted by Twilio's callback: nothing recorded is lost
    assert "To hear your message, press 1" in after  # back to the recording after the crisis call
    call.press("#")  # leave it for now: the main menu
    mark = call.mark()
    call.press("3")  # leave a message: the recording from this call is offered first
    assert "You have a recording from this call" in call.since(mark)
    call.press("2")  # keep it
    assert told_no_number_needed(call)
    assert [s.id for s in all_shares(app)] == [share.id]
    call.hangup()
    assert not sim.errors
