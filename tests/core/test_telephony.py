"""ivr.telephony: the real twilio Client against the simulator, in-process and over HTTP."""
from __future__ import annotations

import io

import pytest
from pydub import AudioSegment
from pydub.generators import Sine

from ivr import telephony
from ivr.simulator import Simulator
from ivr.telephony import TelephonyError
from tests.conftest import TEST_SID, TEST_TOKEN
from tests.simulator.twimlapp import BASE, NUMBER, TwimlApp, xml

ROOM = ('<Dial action="/after" hangupOnStar="true"><Conference statusCallback="/cb/conf" '
        'statusCallbackEvent="start end join leave mute hold" waitUrl="" beep="false">room-1</Conference></Dial>')


@pytest.fixture
def tapp():
    """A generic TwiML app sharing the Peerline test app's Twilio token."""
    twiml_app = TwimlApp(token=TEST_TOKEN)
    twiml_app.docs["/voice"] = xml(ROOM)
    twiml_app.docs["/after"] = lambda form: xml(f"<Say>left with {form.get('DialCallStatus')}</Say>"
                                                "<Gather><Say>menu</Say></Gather>")
    twiml_app.docs["/announce"] = xml("<Say>Five minutes left</Say>")
    return twiml_app


@pytest.fixture
def rsim(app, tapp):
    """A simulator placing calls into the generic app, registered on Peerline's app for telephony."""
    sim = Simulator.in_process(tapp.flask, account_sid=TEST_SID, auth_token=TEST_TOKEN, base_url=BASE)
    sim.attach(app)
    sim.add_number(NUMBER, BASE + "/voice", status_callback=BASE + "/cb/status")
    yield sim
    sim.close()


def _room(rsim, n=2):
    calls = [rsim.call(f"+1555010{i:04d}") for i in range(n)]
    return rsim.rooms.named("room-1"), calls


def test_participants_listed_muted_held_and_removed(app, rsim, tapp):
    room, (a, b) = _room(rsim)
    with app.app_context():
        listed = telephony.list_participants(room.sid)
        assert {p["call_sid"] for p in listed} == {a.sid, b.sid}
        assert not any(p["muted"] or p["hold"] for p in listed)
        telephony.set_muted(room.sid, a.sid, True)
        telephony.set_hold(room.sid, b.sid, True)
        listed = {p["call_sid"]: p for p in telephony.list_participants(room.sid)}
        assert listed[a.sid]["muted"] and listed[b.sid]["hold"]
        rsim.settle()
        telephony.remove_participant(room.sid, a.sid)
    rsim.settle()
    assert "left with completed" in a.heard()  # the Dial action ran after removal
    events = [f["StatusCallbackEvent"] for p, f, ok in tapp.hits if p == "/cb/conf"]
    assert events == ["participant-join", "participant-join", "conference-start", "participant-mute",
                      "participant-hold", "participant-leave"]
    assert room.participants.keys() == {b.sid}


def test_announce_and_end_conference(app, rsim, tapp):
    room, (a, b) = _room(rsim)
    with app.app_context():
        telephony.announce(room.sid, BASE + "/announce")
        rsim.settle()
        assert "Five minutes left" in a.heard() and "Five minutes left" in b.heard()
        telephony.end_conference(room.sid)
    rsim.settle()
    assert room.status == "completed"
    assert "left with completed" in a.heard() and "left with completed" in b.heard()
    last = [f for p, f, ok in tapp.hits if p == "/cb/conf"][-1]
    assert (last["StatusCallbackEvent"], last["ReasonConferenceEnded"]) == ("conference-end", "conference-ended-via-api")


def test_recording_fetched_as_mulaw_wav_and_deleted(app, rsim, tapp, tmp_path):
    wav = tmp_path / "share.wav"
    Sine(300).to_audio_segment(duration=2000, volume=-10).export(wav, format="wav")
    tapp.docs["/voice"] = xml('<Record action="/saved" recordingStatusCallback="/cb/rec"/>')
    tapp.docs["/saved"] = xml("<Say>thanks</Say>")
    call = rsim.call("+15550100001")
    call.record(wav, finish_key="#")
    sid = tapp.form("/cb/rec")["RecordingSid"]
    with app.app_context():
        body = telephony.fetch_recording(sid)
        audio = AudioSegment.from_file(io.BytesIO(body))
        assert (audio.frame_rate, audio.channels) == (8000, 1)
        assert audio.duration_seconds == pytest.approx(2.0, abs=0.2)
        assert body[20:22] == b"\x07\x00"  # WAVE_FORMAT_MULAW, like Twilio's recordings
        telephony.delete_recording(sid)
        with pytest.raises(TelephonyError) as err:
            telephony.fetch_recording(sid)
        with pytest.raises(TelephonyError) as gone:
            telephony.delete_recording(sid)
    assert not gone.value.transient


def test_recording_not_yet_downloadable_is_transient(app, rsim, tapp, tmp_path):
    wav = tmp_path / "s.wav"
    Sine(300).to_audio_segment(duration=1000, volume=-10).export(wav, format="wav")
    tapp.docs["/voice"] = xml('<Record action="/saved"/>')
    tapp.docs["/saved"] = xml("<Hangup/>")
    call = rsim.call("+15550100001")
    call.record(wav, finish_key="#")
    sid = call.entries("record")[0].attrs["sid"]
    rsim.faults.recording_unavailable_fetches = 2
    with app.app_context():
        for _ in range(2):
            with pytest.raises(TelephonyError) as err:
                telephony.fetch_recording(sid)
            assert err.value.transient
        assert len(telephony.fetch_recording(sid)) > 1000


def test_outbound_call_runs_the_url_and_reports_status(app, rsim, tapp):
    tapp.docs["/reminder"] = xml('<Gather numDigits="1" action="/confirm"><Say>Your circle starts soon</Say></Gather>')
    tapp.docs["/confirm"] = lambda form: xml(f"<Say>Confirmed {form['Digits']}</Say>")
    rsim.phone("+15550109999", script=["1"])
    with app.app_context():
        sid = telephony.create_call("+15550109999", BASE + "/reminder", status_callback=BASE + "/cb/out")
    rsim.settle()
    call = rsim.call_by_sid(sid)
    assert call.direction == "outbound-api" and call.from_ == app.config["TWILIO_NUMBER"]
    assert call.said() == ["Your circle starts soon", "Confirmed 1"] and call.ended
    assert tapp.form("/reminder")["Direction"] == "outbound-api"
    assert tapp.form("/cb/out")["CallStatus"] == "completed"


def test_outbound_call_to_a_busy_phone(app, rsim, tapp):
    rsim.phone("+15550109998", answer="busy")
    with app.app_context():
        sid = telephony.create_call("+15550109998", BASE + "/reminder", status_callback=BASE + "/cb/out")
    rsim.settle()
    assert rsim.call_by_sid(sid).status == "busy"
    assert tapp.form("/cb/out")["CallStatus"] == "busy" and "/reminder" not in tapp.paths()


def test_redirect_a_live_call(app, rsim, tapp):
    tapp.docs["/voice"] = xml('<Gather><Say>waiting</Say></Gather>')
    tapp.docs["/elsewhere"] = xml("<Say>moved</Say>")
    call = rsim.call("+15550100001")
    with app.app_context():
        telephony.redirect_call(call.sid, BASE + "/elsewhere")
    assert call.said() == ["waiting"]  # nothing happens inside the REST request
    rsim.settle()
    assert call.said() == ["waiting", "moved"] and call.ended


def test_send_sms_lands_in_the_outbox(app, rsim):
    with app.app_context():
        sid = telephony.send_sms("+15550101111", "Your circle starts at 7pm")
    assert sid.startswith("SM")
    assert rsim.outbox[-1]["to"] == "+15550101111" and rsim.outbox[-1]["body"] == "Your circle starts at 7pm"


def test_wrong_credentials_are_refused_and_not_transient(app, rsim):
    app.config["TWILIO_AUTH_TOKEN"] = "not-the-token"
    with app.app_context():
        with pytest.raises(TelephonyError) as err:
            telephony.send_sms("+15550101111", "x")
    assert "401" in str(err.value) and not err.value.transient
    assert rsim.outbox == []


@pytest.mark.parametrize("status,transient", [(500, True), (503, True), (429, True), (400, False), (404, False)])
def test_rest_failures_are_classified(app, rsim, status, transient):
    rsim.faults.rest_fail_next = 1
    rsim.faults.rest_error_status = status
    with app.app_context():
        with pytest.raises(TelephonyError) as err:
            telephony.send_sms("+15550101111", "x")
        assert err.value.transient is transient
        telephony.send_sms("+15550101111", "y")  # the next request is served
    assert [m["body"] for m in rsim.outbox] == ["y"]


def test_list_failures_are_classified_too(app, rsim):
    room, _ = _room(rsim)
    rsim.faults.rest_fail_next = 1
    with app.app_context():
        with pytest.raises(TelephonyError) as err:
            telephony.list_participants(room.sid)
        assert err.value.transient and "HTTP 500" in str(err.value)
        with pytest.raises(TelephonyError) as missing:
            telephony.list_participants("CF" + "0" * 32)
        assert not missing.value.transient


def test_slow_rest_call_times_out_as_transient(app, rsim):
    app.config["TWILIO_TIMEOUT"] = 0.05
    rsim.faults.rest_latency_ms = 150
    with app.app_context():
        with pytest.raises(TelephonyError) as err:
            telephony.send_sms("+15550101111", "x")
    assert err.value.transient


def test_over_http_with_twilio_api_base(app, tapp):
    """TWILIO_API_BASE points the stock HTTP client at a simulator serving REST over a socket."""
    sim = Simulator.in_process(tapp.flask, account_sid=TEST_SID, auth_token=TEST_TOKEN, base_url=BASE)
    app.extensions.pop("twilio_simulator", None)  # not in-process: only the socket reaches it
    sim.add_number(NUMBER, BASE + "/voice", status_callback=BASE + "/cb/status")
    base = sim.serve()
    try:
        app.config["TWILIO_API_BASE"] = base
        a, b = sim.call("+15550100001"), sim.call("+15550100002")
        room = sim.rooms.named("room-1")
        with app.app_context():
            assert isinstance(telephony.client().http_client, telephony.BaseUrlHttpClient)
            assert {p["call_sid"] for p in telephony.list_participants(room.sid)} == {a.sid, b.sid}
            telephony.remove_participant(room.sid, b.sid)
            assert telephony.send_sms("+15550101111", "hi").startswith("SM")
        sim.settle()
        assert "left with completed" in b.heard()
        app.config["TWILIO_AUTH_TOKEN"] = "wrong"
        with app.app_context():
            with pytest.raises(TelephonyError) as err:
                telephony.list_participants(room.sid)
        assert not err.value.transient
    finally:
        sim.close()


def test_no_simulator_and_no_base_means_real_twilio(app):
    app.extensions.pop("twilio_simulator", None)
    with app.app_context():
        http = telephony.client().http_client
    assert type(http).__name__ == "TwilioHttpClient"
