"""<Record>: WAV in, μ-law recording out, action then recordingStatusCallback, Twilio's limits."""
from __future__ import annotations

import io

import pytest
from pydub import AudioSegment
from pydub.generators import Sine

from tests.simulator.twimlapp import xml


@pytest.fixture
def voice_wav(tmp_path):
    """1 s of silence, 3 s of tone (standing in for speech), 1 s of silence."""
    path = tmp_path / "voice.wav"
    quiet = AudioSegment.silent(duration=1000, frame_rate=16000)
    (quiet + Sine(300).to_audio_segment(duration=3000, volume=-20).set_frame_rate(16000) + quiet).export(path, format="wav")
    return path


@pytest.fixture
def rec_app(tapp):
    tapp.docs["/voice"] = xml('<Say>After the beep</Say><Record action="/saved" maxLength="60" '
                              'recordingStatusCallback="/cb/rec"/><Say>not reached</Say>')
    tapp.docs["/saved"] = lambda form: xml(f"<Say>Saved {form['RecordingDuration']} seconds</Say>")
    return tapp


def test_record_action_then_status_callback_and_media(rec_app, tsim, voice_wav):
    call = tsim.call("+15550100001")
    assert call.waiting.kind == "record" and call.entries("beep")
    call.record(voice_wav, finish_key="#")
    saved, cb = rec_app.form("/saved"), rec_app.form("/cb/rec")
    assert rec_app.paths().index("/saved") < rec_app.paths().index("/cb/rec")
    assert saved["Digits"] == "#" and saved["RecordingDuration"] == "3"  # silence trimmed
    assert saved["RecordingUrl"] == f"https://api.twilio.com/2010-04-01/Accounts/{tsim.account_sid}/Recordings/{saved['RecordingSid']}"
    assert (cb["RecordingStatus"], cb["RecordingSid"], cb["RecordingDuration"]) == ("completed", saved["RecordingSid"], "3")
    assert call.said() == ["After the beep", "Saved 3 seconds"]
    wav = tsim.rest_request("GET", saved["RecordingUrl"] + ".wav")
    audio = AudioSegment.from_file(io.BytesIO(wav.body))
    assert wav.content_type.startswith("audio/") and (audio.frame_rate, audio.channels) == (8000, 1)
    assert wav.body[20:22] == b"\x07\x00"  # μ-law
    mp3 = tsim.rest_request("GET", saved["RecordingUrl"] + ".mp3")
    assert mp3.status == 200 and mp3.content_type == "audio/mpeg"


def test_media_needs_basic_auth(rec_app, tsim, voice_wav):
    call = tsim.call("+15550100001")
    call.record(voice_wav)
    url = rec_app.form("/saved")["RecordingUrl"]
    with tsim.rest_app.test_client() as client:
        assert client.get(url.replace("https://api.twilio.com", "") + ".wav").status_code == 401


def test_do_not_trim_and_max_length(tapp, tsim, voice_wav):
    tapp.docs["/voice"] = xml('<Record action="/saved" trim="do-not-trim" maxLength="4" playBeep="false"/>')
    tapp.docs["/saved"] = xml("<Hangup/>")
    call = tsim.call("+15550100001")
    assert not call.entries("beep")
    call.record(voice_wav, finish_key="#")
    form = tapp.form("/saved")
    assert form["RecordingDuration"] == "4" and "Digits" not in form  # cut by maxLength


def test_silence_makes_no_recording_and_falls_through(rec_app, tsim):
    call = tsim.call("+15550100001")
    call.silence()
    assert "/saved" not in rec_app.paths() and call.said()[-1] == "not reached"


def test_hangup_mid_recording_still_posts_action_and_callback(rec_app, tsim, voice_wav):
    call = tsim.call("+15550100001")
    call.record(voice_wav, hangup=True)
    assert call.ended
    assert rec_app.form("/saved")["Digits"] == "hangup"
    assert rec_app.form("/cb/rec")["RecordingStatus"] == "completed"
    assert "Saved" not in call.heard()  # the action's answer is ignored after a hang-up
    assert rec_app.paths()[-1] == "/cb/status" or "/cb/status" in rec_app.paths()


def test_recording_not_yet_downloadable(rec_app, tsim, voice_wav):
    tsim.faults.recording_unavailable_fetches = 2
    call = tsim.call("+15550100001")
    call.record(voice_wav)
    url = rec_app.form("/saved")["RecordingUrl"] + ".wav"
    assert [tsim.rest_request("GET", url).status for _ in range(3)] == [404, 404, 200]


def test_deleted_recording_is_gone(rec_app, tsim, voice_wav):
    call = tsim.call("+15550100001")
    call.record(voice_wav)
    url = rec_app.form("/saved")["RecordingUrl"]
    assert tsim.rest_request("DELETE", url + ".json").status == 204
    assert tsim.rest_request("GET", url + ".wav").status == 404


def _tone(ms):
    return Sine(300).to_audio_segment(duration=ms, volume=-20).set_frame_rate(16000)


def test_silence_longer_than_timeout_ends_the_recording(tapp, tsim, tmp_path):
    path = tmp_path / "gap.wav"
    (_tone(1000) + AudioSegment.silent(duration=4000, frame_rate=16000) + _tone(2000)).export(path, format="wav")
    tapp.docs["/voice"] = xml('<Record action="/saved" timeout="3"/>')
    tapp.docs["/saved"] = xml("<Hangup/>")
    call = tsim.call("+15550100001")
    call.record(path, finish_key="#")
    form = tapp.form("/saved")
    assert form["RecordingDuration"] == "1" and "Digits" not in form


def test_leading_silence_longer_than_timeout_records_nothing(tapp, tsim, tmp_path):
    path = tmp_path / "late.wav"
    (AudioSegment.silent(duration=6000, frame_rate=16000) + _tone(2000)).export(path, format="wav")
    tapp.docs["/voice"] = xml('<Record action="/saved" timeout="5"/><Say>Nothing was recorded</Say>')
    call = tsim.call("+15550100001")
    call.record(path)
    assert "/saved" not in tapp.paths() and call.said() == ["Nothing was recorded"]


def test_absent_recording_status_when_subscribed(tapp, tsim, tmp_path):
    tapp.docs["/voice"] = xml('<Record action="/saved" recordingStatusCallback="/cb/rec" '
                              'recordingStatusCallbackEvent="completed absent"/><Say>again</Say>')
    call = tsim.call("+15550100001")
    call.silence()
    cb = tapp.form("/cb/rec")
    assert (cb["RecordingStatus"], cb["RecordingDuration"]) == ("absent", "0")
    assert "/saved" not in tapp.paths() and call.said() == ["again"]


def test_absent_is_not_sent_unless_subscribed(rec_app, tsim):
    call = tsim.call("+15550100001")
    call.hangup()
    assert "/cb/rec" not in rec_app.paths() and call.ended
