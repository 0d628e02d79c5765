"""Voice shares through signed webhooks: consent, disguise, PIN, <Record>, review, and the
recording status callback that persists the share (once, whatever the order or repeats)."""
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from ivr.extensions import db
from ivr.shares.models import Share, ShareAudit, ShareDraft
from tests.stories.factories import NUMBER, returning_caller
from tests.twiml import gather, parse, spoken, without_state


@pytest.fixture
def app_config(redis_url):
    """Jobs go to a real Redis queue that nobody works, so the test sees what was enqueued."""
    return {"REDIS_URL": redis_url}


def post(twilio, path, sid="CA1", number=NUMBER, **form):
    """One signed webhook of call `sid`."""
    return parse(twilio.post(path, {"CallSid": sid, "From": number, "To": "+15550001111", **form}))


def press(twilio, step, digits, **kw):
    """Press keys at a step."""
    return post(twilio, f"/voice/step/{step}/input", Digits=digits, **kw)


def recording_callback(twilio, draft_id, rec="RE1", status="completed", duration="42", sid="CA1"):
    """Twilio's recordingStatusCallback for one recording."""
    r = twilio.post(f"/voice/shares/recording?d={draft_id}", {
        "AccountSid": "AC" + "1" * 32, "CallSid": sid, "RecordingSid": rec, "RecordingStatus": status,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{rec}",
        "RecordingDuration": duration, "RecordingChannels": "1", "RecordingSource": "RecordVerb"})
    assert r.status_code == 204
    return r


def record_action(twilio, rec="RE1", duration="42", **kw):
    """The <Record> action request Twilio makes when the caller presses #."""
    return post(twilio, "/voice/step/share_record/input", RecordingSid=rec, Digits="#",
                RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{rec}",
                RecordingDuration=duration, **kw)


def start_recording(twilio, consent="2", disguise="1", **kw):
    """From the main menu to the <Record>; returns (root, draft id)."""
    root = press(twilio, "main_menu", "3", **kw)
    said = spoken(root)
    assert "First, a member of our team listens to it. Nobody else hears it before that." in said
    assert "up to three minutes" in said
    root = press(twilio, "share_consent", consent, **kw)
    if consent == "2":
        assert "change how your voice sounds" in spoken(root)
        root = press(twilio, "share_disguise", disguise, **kw)
    return root


def the_record(root):
    """The response's <Record> and the draft id its callback carries."""
    rec = root.find("Record")
    assert rec is not None, [c.tag for c in root]
    draft = int(parse_qs(urlsplit(rec.get("recordingStatusCallback")).query)["d"][0])
    return rec, draft


def shares_in(app):
    """Every share row."""
    with app.app_context():
        rows = db.session.execute(select(Share).order_by(Share.id)).scalars().all()
        db.session.expunge_all()
        return rows


def queued_jobs(app):
    """Job ids waiting on the rq queue."""
    with app.app_context():
        from ivr.jobs import queue
        return queue().job_ids


@pytest.fixture
def caller(app, twilio):
    """A returning caller in the main menu."""
    returning_caller(app)
    post(twilio, "/voice/incoming")


def test_record_verb_after_consent_and_disguise(twilio, app, caller):
    root = start_recording(twilio)
    rec, draft_id = the_record(root)
    assert "After the beep" in spoken(root) and "press pound" in spoken(root)
    assert rec.get("maxLength") == "180" and rec.get("finishOnKey") == "#0"
    assert rec.get("trim") == "trim-silence" and rec.get("playBeep") == "true"
    assert without_state(rec.get("action")) == "https://peerline.test/voice/step/share_record/input"
    assert rec.get("recordingStatusCallback") == f"https://peerline.test/voice/shares/recording?d={draft_id}"
    assert rec.get("recordingStatusCallbackEvent") == "completed absent"
    # nothing recorded: Twilio goes on to the next verb
    assert root.find("Redirect").text.endswith("/voice/step/share_nothing")
    with app.app_context():
        draft = db.session.get(ShareDraft, draft_id)
        assert (draft.consent, draft.disguise, draft.pin_hash) == ("library", True, None)


def test_keep_persists_one_share_and_enqueues_processing_once(twilio, app, caller):
    _, draft_id = the_record(start_recording(twilio))
    root = record_action(twilio)
    assert "To hear your message, press 1" in spoken(root)
    assert gather(root).get("action").endswith("/voice/step/share_review/input")
    root = press(twilio, "share_review", "1")
    assert [c.tag for c in root][:2] == ["Pause", "Play"]  # not yet reported complete: a moment first
    assert root.find("Play").text.endswith("/Recordings/RE1")
    recording_callback(twilio, draft_id)
    recording_callback(twilio, draft_id)  # Twilio repeats itself
    root = press(twilio, "share_review", "1")
    assert [c.tag for c in root][0] == "Play"
    root = press(twilio, "share_review", "2")
    rows = shares_in(app)
    assert len(rows) == 1
    share = rows[0]
    assert (share.status, share.consent, share.disguise, share.duration_s) == ("received", "library", True, 42)
    assert share.caller_id is not None and share.call_sid == "CA1" and not share.truncated
    said = spoken(root)
    digits = ", ".join(share.reference)
    # a caller known by caller ID is told they need no number (it is not read out)
    assert digits not in said and "Thank you for sharing" in said and "will not need a number" in said
    assert gather(root).get("action").endswith("/voice/step/main_menu/input")
    assert queued_jobs(app) == [f"share-{share.recording_sid}"]


def test_callback_before_the_action_and_out_of_order(twilio, app, caller):
    _, draft_id = the_record(start_recording(twilio, consent="1"))
    recording_callback(twilio, draft_id, status="in-progress")  # says nothing final
    assert shares_in(app) == []
    recording_callback(twilio, draft_id)
    record_action(twilio)
    recording_callback(twilio, draft_id)
    rows = shares_in(app)
    assert len(rows) == 1 and rows[0].consent == "private" and rows[0].disguise is False


def test_hang_up_mid_recording_still_makes_a_share(twilio, app, caller):
    _, draft_id = the_record(start_recording(twilio))
    # the caller hangs up: Twilio posts the action (ignored) and the status callback decides
    assert twilio.post("/voice/status", {"CallSid": "CA1", "CallStatus": "completed", "CallDuration": "60"}).status_code == 204
    recording_callback(twilio, draft_id, duration="17")
    rows = shares_in(app)
    assert [(s.status, s.duration_s) for s in rows] == [("received", 17)]


def test_failed_and_absent_recordings_are_recorded(twilio, app, caller):
    _, draft_id = the_record(start_recording(twilio))
    recording_callback(twilio, draft_id, rec="REabsent", status="absent", duration="0")
    rows = shares_in(app)
    assert [(s.status, s.failure_reason) for s in rows] == [("failed", "twilio:absent")]
    assert queued_jobs(app) == []  # nothing to process


def test_overlong_recording_is_cut_and_kept(twilio, app, caller):
    _, draft_id = the_record(start_recording(twilio))
    recording_callback(twilio, draft_id, duration="180")
    assert [(s.status, s.truncated) for s in shares_in(app)] == [("received", True)]


def test_discard_before_the_callback(twilio, app, caller):
    _, draft_id = the_record(start_recording(twilio))
    record_action(twilio)
    root = press(twilio, "share_review", "4")
    assert "Your recording is deleted" in spoken(root)
    recording_callback(twilio, draft_id)
    rows = shares_in(app)
    assert [s.status for s in rows] == ["discarded"]
    assert queued_jobs(app) == [f"forget-{rows[0].recording_sid}"]  # Twilio's copy goes; no processing
    with app.app_context():
        audit = db.session.execute(select(ShareAudit)).scalars().all()
        assert [(a.action, a.share_id) for a in audit] == [("discarded", rows[0].id)]


def test_discard_after_the_callback(twilio, app, caller):
    _, draft_id = the_record(start_recording(twilio))
    record_action(twilio)
    recording_callback(twilio, draft_id)
    press(twilio, "share_review", "4")
    rows = shares_in(app)
    assert [s.status for s in rows] == ["discarded"] and rows[0].recording_url is None
    assert sorted(queued_jobs(app)) == sorted(["share-RE1", "forget-RE1"])


def test_record_again_discards_the_first(twilio, app, caller):
    _, first = the_record(start_recording(twilio))
    record_action(twilio, rec="RE1")
    root = press(twilio, "share_review", "3")
    _, second = the_record(root)
    assert second != first
    recording_callback(twilio, first, rec="RE1")
    record_action(twilio, rec="RE2")
    recording_callback(twilio, second, rec="RE2")
    press(twilio, "share_review", "2")
    rows = shares_in(app)
    assert [(s.recording_sid, s.status) for s in rows] == [("RE1", "discarded"), ("RE2", "received")]
    assert rows[1].consent == "library" and rows[1].disguise is True  # the choices carried over


def test_empty_recording_offers_to_try_again(twilio, app, caller):
    start_recording(twilio)
    root = record_action(twilio, duration="0")
    assert "I did not hear a recording" in spoken(root)
    root = press(twilio, "share_nothing", "1")
    assert root.find("Record") is not None


def test_withheld_number_sets_a_pin(twilio, app):
    anon = dict(number="anonymous")
    post(twilio, "/voice/incoming", **anon)
    press(twilio, "language", "1", **anon)
    press(twilio, "howto", "1", **anon)
    root = start_recording(twilio, consent="1", **anon)
    assert "four digit PIN" in spoken(root)
    g = gather(root)
    assert g.get("action").endswith("/voice/step/share_pin/input") and g.get("finishOnKey") == "#"
    root = press(twilio, "share_pin", "12", **anon)
    assert "the PIN needs four digits" in spoken(root)
    root = press(twilio, "share_pin", "4321", **anon)
    _, draft_id = the_record(root)
    record_action(twilio)
    recording_callback(twilio, draft_id)
    root = press(twilio, "share_review", "2", **anon)
    assert "With this number and your PIN" in spoken(root)
    share = shares_in(app)[0]
    digits = ", ".join(share.reference)
    # the number, slowly, twice, with a key to hear it again and a way on
    assert spoken(root).count(digits) == 2 and "To hear the number again, press 1" in spoken(root)
    assert gather(root).get("action").endswith("/voice/step/share_keep/input")
    again = press(twilio, "share_keep", "1", **anon)
    assert spoken(again).count(digits) == 2
    onwards = press(twilio, "share_keep", "#", **anon)
    assert gather(onwards).get("action").endswith("/voice/step/main_menu/input")
    assert share.caller_id is None and share.pin_hash.startswith("$argon2")
    with app.app_context():
        from ivr.calls.models import CallStep
        outcomes = [s.outcome for s in db.session.execute(select(CallStep)).scalars()]
        assert "4321" not in " ".join(o or "" for o in outcomes)


def test_recording_callback_refuses_unsigned_requests(client, app):
    r = client.post("/voice/shares/recording?d=1", data={"RecordingSid": "RE1", "RecordingStatus": "completed"})
    assert r.status_code == 403
    assert shares_in(app) == []


def test_callback_for_an_unknown_draft_still_keeps_the_recording(twilio, app):
    recording_callback(twilio, 999999, rec="REorphan")
    assert [(s.recording_sid, s.status, s.consent) for s in shares_in(app)] == [("REorphan", "received", "private")]


def test_zero_at_the_pin_reaches_the_crisis_line(twilio, app):
    anon = dict(number="anonymous")
    post(twilio, "/voice/incoming", **anon)
    start_recording(twilio, consent="1", **anon)
    root = press(twilio, "share_pin", "0", **anon)
    assert root.find("Dial") is not None and "You matter" in spoken(root)


def test_spanish_caller_hears_only_spanish(twilio, app):
    returning_caller(app, language="es")
    roots = [post(twilio, "/voice/incoming")]
    roots.append(press(twilio, "main_menu", "3"))
    assert "Primero lo escucha una persona de nuestro equipo" in spoken(roots[-1])
    roots.append(press(twilio, "share_consent", "2"))
    roots.append(press(twilio, "share_disguise", "1"))
    _, draft_id = the_record(roots[-1])
    roots.append(record_action(twilio))
    recording_callback(twilio, draft_id)
    roots.append(press(twilio, "share_review", "2"))
    assert "no necesitará ningún número" in spoken(roots[-1])
    roots.append(press(twilio, "main_menu", "9"))
    roots.append(press(twilio, "options", "3"))
    assert "Está esperando que nuestro equipo lo escuche." in spoken(roots[-1])
    for root in roots:
        assert {s.get("language") for s in root.iter("Say")} == {"es-US"}


def test_keep_before_the_callback_persists_the_share_once(twilio, app, caller):
    _, draft_id = the_record(start_recording(twilio))
    record_action(twilio, rec="REearly", duration="33")
    root = press(twilio, "share_review", "2")
    (share,) = shares_in(app)
    assert (share.recording_sid, share.status, share.duration_s) == ("REearly", "received", 33)
    assert "Your message is saved" in spoken(root)
    recording_callback(twilio, draft_id, rec="REearly", duration="33")
    assert [s.id for s in shares_in(app)] == [share.id]
    assert queued_jobs(app) == ["share-REearly"]
    with app.app_context():
        assert db.session.get(ShareDraft, draft_id).reference == share.reference
