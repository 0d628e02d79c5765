"""Whole calls into Peerline through the simulator, several callers at once: what each caller
heard, and what Peerline stored."""
from __future__ import annotations

import pytest
from pydub import AudioSegment
from pydub.generators import Sine
from sqlalchemy import select

from ivr.calls import callers
from ivr.extensions import db
from ivr.calls.models import Call, Caller, CallStep, CallTally
from ivr.circles.models import CircleParticipant, CircleSession
from ivr.shares.models import Share
from tests.circles.test_circles_voice import PIN, open_circle

A, B, FAC = "+15550102001", "+15550102002", "+15550107777"
MENU_EN = "To hear stories from other people, press 1."
MENU_ES = "Para escuchar historias de otras personas, oprima 1."


def rows(app, model, **filters):
    """All rows of a model matching filters (read in a fresh app context)."""
    with app.app_context():
        return db.session.execute(select(model).filter_by(**filters)).scalars().all()


def call_row(app, call):
    """Peerline's Call row for a simulated call."""
    (row,) = rows(app, Call, call_sid=call.sid)
    return row


@pytest.fixture
def speech_wav(tmp_path):
    """Four seconds of 'voice' (a tone at phone level) between half-second silences."""
    path = tmp_path / "share.wav"
    quiet = AudioSegment.silent(duration=500, frame_rate=16000)
    (quiet + Sine(220).to_audio_segment(duration=4000, volume=-22).set_frame_rate(16000) + quiet).export(path, format="wav")
    return path


def test_three_first_time_callers_at_once(app, sim, phone):
    a, b, c = phone(A), phone(B), phone("anonymous")
    for call in (a, b, c):
        assert "Welcome to Peerline" in call.heard() and call.waiting.kind == "gather"
    a.press("1")
    b.press("2")
    c.press("1")
    b.press("7")  # any key skips the tip
    a.press("9")
    assert "Okay. We will speak English." in a.heard() and MENU_EN in a.heard()
    assert "De acuerdo. Hablaremos en español." in b.heard() and MENU_ES in b.heard()
    assert MENU_ES not in a.heard() and MENU_EN not in b.since(4)
    a.press("9")
    assert "Options. To change the language, press 1." in a.heard()
    c.hangup()
    a.hangup()
    b.hangup()
    assert all(call.status == "completed" for call in (a, b, c))
    # What Peerline stored: two known callers by hash (languages remembered), one withheld.
    key = app.config["CALLER_HASH_KEY"]
    by_hash = {row.number_hash: row for row in rows(app, Caller)}
    assert set(by_hash) == {callers.number_hash(A, key), callers.number_hash(B, key)}
    assert by_hash[callers.number_hash(A, key)].language == "en"
    assert by_hash[callers.number_hash(B, key)].language == "es"
    assert call_row(app, c).caller_id is None
    for call in (a, b, c):
        row = call_row(app, call)
        assert row.status == "completed" and row.duration_s is not None and row.duration_s > 0
    # Menus were moved through on the state in Twilio's signed URLs: no call's path is kept anywhere.
    assert rows(app, CallStep) == [] and rows(app, CallTally) == []
    # The hang-up callbacks all arrived, signed and accepted.
    assert sorted(d.params["CallSid"] for d in sim.callbacks_of("call-status")) == sorted(x.sid for x in (a, b, c))


def test_returning_caller_skips_language_and_tip(app, sim, phone):
    phone(A, script=["2", "5", "hangup"])
    again = phone(A)
    assert "Le damos la bienvenida a Peerline" in again.heard() and MENU_ES in again.heard()
    assert "consejo" not in again.heard() and "For English" not in again.heard()


def test_crisis_key_dials_the_line_and_says_the_number_when_unanswered(app, sim, phone):
    sim.dial_outcomes[app.config["CRISIS_NUMBER"]] = ("no-answer", 0)
    call = phone(A, script=["1", "5"])
    mark = call.mark()
    call.press("0")
    assert call.entries("dial")[-1].text == app.config["CRISIS_NUMBER"]
    heard = call.since(mark)
    assert "We could not connect the call" in heard and "1, 5, 5, 5, 0, 1, 0, 0, 9, 8, 8" in heard
    assert "To hear the number again, press 1" in heard  # offered again before anything else
    call.silence()
    assert MENU_EN in call.since(mark)  # only then back to the menu
    # Counted for the reports as a press and a call that reached the crisis line (by day, nobody's path).
    assert {(t.event, t.n) for t in rows(app, CallTally)} == {("crisis_press", 1), ("crisis", 1)}


def test_two_callers_leave_voice_shares_at_the_same_time(app, sim, phone, speech_wav):
    a, b = phone(A, script=["1", "5", "3", "1"]), phone(B, script=["2", "5", "3", "1"])
    assert a.waiting.kind == "record" and b.waiting.kind == "record"
    a.record(speech_wav, finish_key="#")
    b.record(speech_wav, finish_key="#")
    a.press("2")
    b.press("2")
    assert "Your message is saved" in a.heard()
    assert "Su mensaje quedó guardado" in b.heard()
    shares = {s.call_sid: s for s in rows(app, Share)}
    assert set(shares) == {a.sid, b.sid}
    for call in (a, b):
        share = shares[call.sid]
        rec_sid = call.entries("record")[0].attrs["sid"]
        assert share.recording_sid == rec_sid and share.duration_s == 4
        # Peerline fetched the media through ivr.telephony and deleted Twilio's copy.
        assert share.twilio_deleted and sim.recordings.get(rec_sid) is None
    assert shares[b.sid].language == "es"


def test_repeated_and_out_of_order_callbacks_keep_one_share(app, sim, phone, speech_wav):
    sim.faults.duplicate_callbacks = 2
    sim.faults.reorder_callbacks = True
    call = phone(A, script=["1", "5", "3", "1"])
    call.record(speech_wav, finish_key="#")
    call.press("2")
    call.hangup()
    assert len(sim.callbacks_of("recording-status")) == 3
    assert len(sim.callbacks_of("call-status")) == 3
    assert len(rows(app, Share)) == 1
    assert call_row(app, call).status == "completed"


def test_recording_not_yet_downloadable_still_ends_in_a_share(app, sim, phone, speech_wav):
    sim.faults.recording_unavailable_fetches = 1
    call = phone(A, script=["1", "5", "3", "1"])
    call.record(speech_wav, finish_key="#")
    call.press("2")
    (share,) = rows(app, Share)
    assert share.recording_sid == call.entries("record")[0].attrs["sid"]


def test_caller_hangs_up_mid_recording(app, sim, phone, speech_wav):
    call = phone(A, script=["1", "5", "3", "1"])
    call.record(speech_wav, hangup=True)
    assert call.ended and call_row(app, call).status == "completed"
    assert sim.errors == []


def test_caller_hangs_up_mid_prompt(app, sim):
    call = sim.call(A, hangup_after_prompts=1)
    assert call.ended and call.said() == ["Welcome to Peerline. You are not alone."]
    assert call.transcript[0].interrupted
    assert call_row(app, call).status == "completed"


def test_circle_with_a_facilitator_and_two_callers(app, sim, phone):
    open_circle(app)
    fac = phone(FAC, script=["1", "5", "2", "8", "3#", PIN + "#"])
    assert fac.waiting.kind == "conference"
    room = next(iter(sim.rooms.live.values()))
    assert room.status == "init"  # alone: the facilitator hears the waiting room
    a = phone(A, script=["1", "5", "2", "1", "2"])
    # b speaks Spanish: told the circle is in English, b joins it by keying its number.
    b = phone(B, script=["2", "5", "2", "1", "3#", "2"])
    assert "Este círculo es en inglés." in b.said()
    assert room.status == "in-progress" and len(room.participants) == 3
    assert "You start muted" in a.heard()
    assert room.participants[a.sid].muted and room.participants[b.sid].muted
    assert not room.participants[fac.sid].muted
    # Names sent to Twilio are opaque.
    assert room.name.startswith("pl-") and all(p.label is None or p.label.startswith("p-")
                                               for p in room.participants.values())
    # a raises a hand from the star menu and goes back in.
    a.press("*")
    assert a.sid not in room.participants
    a.press("1")
    assert "Your hand is raised" in a.heard() and a.sid in room.participants
    # The facilitator unmutes the next hand: Peerline calls the REST API; the roster follows callbacks.
    fac.press("*")
    fac.press("1")
    assert "The next raised hand is unmuted" in fac.heard()
    assert not room.participants[a.sid].muted and room.participants[b.sid].muted
    roster = {p.call_sid: p for p in rows(app, CircleParticipant)}
    assert not roster[a.sid].muted and roster[b.sid].muted and roster[a.sid].connected
    fac.press("#")  # back into the circle
    assert fac.sid in room.participants
    # End the circle for everyone.
    fac.press("*")
    fac.press("4")  # more choices
    fac.press("3")  # end for everyone
    fac.press("1")
    assert "The circle has ended for everyone" in fac.heard()
    assert room.status == "completed"
    assert "This circle has ended" in a.heard() and "Este círculo terminó" in b.heard()
    (session,) = rows(app, CircleSession)
    assert session.conference_sid == room.sid
    roster = rows(app, CircleParticipant)
    assert not any(p.connected for p in roster)
    events = [d.params["StatusCallbackEvent"] for d in sim.callbacks_of("conference")]
    assert events[0] == "participant-join" and events[-1] == "conference-end"
    assert "participant-unmute" in events


def test_silent_share_is_reported_absent_and_the_caller_is_told(app, sim, phone):
    call = phone(A, script=["1", "5", "3", "1"])
    mark = call.mark()
    call.silence()
    (cb,) = sim.callbacks_of("recording-status")
    assert cb.params["RecordingStatus"] == "absent" and cb.status == 204
    assert "I did not hear a recording" in call.since(mark)
    assert [(s.status, s.failure_reason) for s in rows(app, Share)] == [("failed", "twilio:absent")]
