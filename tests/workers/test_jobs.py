"""workers.share_pipeline.process_share, run inline against the real database, storage, ffmpeg, Vosk (Korean
model) and screening; Twilio is the phone simulator (fetch, delete, SMS, injected failures)."""
from __future__ import annotations

import io
import struct
import time

import numpy as np
import pytest
from pydub import AudioSegment

from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import OncallAlert, Share
from ivr.storage import storage
from tests.workers.pipeline_support import (
    add_twilio_recording, korean_wav, make_share, silence_wav, to_mp3, to_twilio_wav,
)
from ivr import audio
from workers import share_pipeline as jobs
from workers.screen import screen
from workers.transcribe import Transcript, Word


@pytest.fixture(scope="module")
def speech_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="module")
def korean_twilio_wav(speech_dir):
    """Twelve seconds of Korean speech as Twilio stores a recording (8 kHz μ-law WAV)."""
    return to_twilio_wav(korean_wav(12, speech_dir))


@pytest.fixture
def app_config():
    return {"ONCALL_NUMBER": "+15550100111", "SHARE_MAX_ATTEMPTS": 3}


def _share(share_id: int) -> Share:
    db.session.expire_all()
    return db.session.get(Share, share_id)


def assert_timed_words(share: Share, duration_s: float) -> None:
    words = share.transcript["words"]
    assert len(words) >= 3, share.transcript
    for word in words:
        assert word["word"].strip()
        assert 0.0 <= word["start"] < word["end"] <= duration_s + 0.1
        assert 0.0 <= word["conf"] <= 1.0
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)


# --- the whole job on real audio -----------------------------------------------------------

def test_a_twilio_mulaw_recording_is_fetched_stored_forgotten_transcribed_and_queued(app, sim, korean_twilio_wav):
    with app.app_context():
        sid = add_twilio_recording(sim, korean_twilio_wav)
        share_id = make_share(recording_sid=sid, duration_s=12)

        result = jobs.process_share(share_id)

        share = _share(share_id)
        assert "needs_listening" in result
        # Korean has no screening word lists: the words come back, and a person listens.
        assert share.status == "needs_listening"
        assert share.reasons == ["no screening word lists for language 'ko': a person must listen"]
        assert share.priority >= 20 and share.tier == "needs_listening"
        assert_timed_words(share, 12)
        assert share.transcript["stats"]["duration_s"] == pytest.approx(12, abs=0.1)
        assert share.duration_s == 12 and share.attempts == 1
        # Stored byte for byte, then Twilio's copy deleted through the REST API.
        assert storage().get(share.original_key) == korean_twilio_wav
        assert share.twilio_deleted and sim.recordings.by_sid[sid].deleted
        assert share.redacted_key is None  # unscreened audio never gets a publishable copy
        assert share in shares.queue()


def test_mp3_input_decodes_and_transcribes_too(app, korean_twilio_wav):
    with app.app_context():
        share_id = make_share(audio=to_mp3(korean_twilio_wav))
        jobs.process_share(share_id)
        share = _share(share_id)
        assert share.status == "needs_listening"
        assert_timed_words(share, 12.2)


def test_running_the_job_twice_does_the_work_once(app, sim, korean_twilio_wav):
    with app.app_context():
        sid = add_twilio_recording(sim, korean_twilio_wav)
        share_id = make_share(recording_sid=sid)
        jobs.process_share(share_id)
        first = _share(share_id)
        snapshot = (first.status, first.attempts, first.transcript, first.original_key, first.processed_at)
        fetches = sim.recordings.by_sid[sid].fetches

        again = jobs.process_share(share_id)

        share = _share(share_id)
        assert "already processed" in again
        assert (share.status, share.attempts, share.transcript, share.original_key, share.processed_at) == snapshot
        assert sim.recordings.by_sid[sid].fetches == fetches == 1


def test_a_rerun_after_a_crash_mid_job_uses_the_stored_copy_and_never_refetches(app, sim, korean_twilio_wav):
    with app.app_context():
        sid = add_twilio_recording(sim, korean_twilio_wav)
        share_id = make_share(recording_sid=sid)
        # The first run died after storing the original and deleting Twilio's copy.
        jobs._ensure_original(app, shares.mark_processing(share_id))
        jobs._forget_twilio_copy(_share(share_id))
        assert _share(share_id).status == "processing" and sim.recordings.get(sid) is None

        jobs.process_share(share_id)

        share = _share(share_id)
        assert share.status == "needs_listening" and share.attempts == 2
        assert share.transcript["words"]
        assert sim.recordings.by_sid[sid].fetches == 1


# --- audio that cannot be used: a clear status, no hang, no retry ------------------------------

def _wav_with_rate(rate: int, seconds: float = 1.0) -> bytes:
    data = b"\x00\x01" * int(8000 * seconds)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(data))
    return header + data


@pytest.mark.parametrize("payload, reason", [
    (b"", "processing failed: empty input: zero bytes"),
    (b"this is not audio at all" * 50, "processing failed: unreadable audio"),
    (_wav_with_rate(0), "processing failed: implausible WAV sample rate 0 Hz"),
    (_wav_with_rate(1), "processing failed: implausible WAV sample rate 1 Hz"),
])
def test_unusable_audio_goes_to_a_person_with_the_reason_and_the_original_kept(app, payload, reason):
    with app.app_context():
        share_id = make_share(audio=payload)
        started = time.monotonic()
        jobs.process_share(share_id)
        share = _share(share_id)
        assert time.monotonic() - started < 10
        assert share.status == "needs_listening"
        assert share.failure_reason.startswith(reason), share.failure_reason
        assert share in shares.queue()
        assert storage().get(share.original_key) == payload
        assert share.attempts == 1


def test_hours_long_audio_is_refused_from_its_header_in_moments(app):
    with app.app_context():
        two_hours = b"\xff" * (8000 * 7200)  # μ-law silence
        header = b"RIFF" + struct.pack("<I", 36 + len(two_hours)) + b"WAVEfmt " + struct.pack(
            "<IHHIIHH", 16, 7, 1, 8000, 8000, 1, 8) + b"data" + struct.pack("<I", len(two_hours))
        share_id = make_share(audio=header + two_hours)
        started = time.monotonic()
        jobs.process_share(share_id)
        assert time.monotonic() - started < 15
        share = _share(share_id)
        assert share.status == "needs_listening"
        assert share.failure_reason == "processing failed: audio is 7200 s long; the limit is 420 s"


def test_silence_is_never_clean_it_goes_to_needs_listening(app):
    with app.app_context():
        share_id = make_share(audio=silence_wav(8))
        jobs.process_share(share_id)
        share = _share(share_id)
        assert share.status == "needs_listening"
        assert share.reasons[0].startswith("no speech detected")
        assert share.transcript["words"] == []


def test_no_model_for_the_language_sends_it_to_a_person_with_that_reason(app, korean_twilio_wav):
    with app.app_context():
        share_id = make_share(audio=korean_twilio_wav, language="sw")
        jobs.process_share(share_id)
        share = _share(share_id)
        assert share.status == "needs_listening"
        assert share.reasons == ["no speech-recognition model for language 'sw'"]
        assert storage().exists(share.original_key)


# --- transient failures: retried, then "processing failed" ---------------------------------------

def test_twilio_errors_are_transient_until_the_last_attempt_then_processing_failed(app, sim, korean_twilio_wav):
    with app.app_context():
        sid = add_twilio_recording(sim, korean_twilio_wav)
        share_id = make_share(recording_sid=sid)
        sim.faults.rest_fail_next = 10
        sim.faults.rest_error_status = 503

        for attempt in (1, 2):
            with pytest.raises(jobs.Transient, match="fetch recording: HTTP 503"):
                jobs.process_share(share_id)
            share = _share(share_id)
            assert share.status == "processing" and share.attempts == attempt

        jobs.process_share(share_id)  # SHARE_MAX_ATTEMPTS = 3: the last one gives up

        share = _share(share_id)
        assert share.status == "needs_listening" and share.attempts == 3
        assert share.failure_reason == "processing failed: could not fetch the recording from Twilio: fetch recording: HTTP 503"
        assert share in shares.queue()
        assert sim.recordings.get(sid) is not None  # Twilio still holds the audio: nothing is lost


# --- steps 5-6 on an English transcript: redaction, disguise, ranking, on-call SMS -------------------

def _english_share(app, sim, *, disguise: bool, text: str, seconds: float = 6.0):
    """A share whose audio is a 440 Hz tone and whose words are timed evenly across it."""
    tone = AudioSegment.silent(duration=int(seconds * 1000), frame_rate=16000)
    samples = (0.3 * 32767 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * 16000)) / 16000)).astype(np.int16)
    segment = tone._spawn(samples.tobytes())
    words = text.split()
    step = seconds / len(words)
    transcript = Transcript.from_words([Word(w, i * step, (i + 0.9) * step, 0.95) for i, w in enumerate(words)])
    share_id = make_share(audio=audio.export(segment), language="en", disguise=disguise)
    shares.mark_processing(share_id)
    db.session.commit()
    return share_id, segment, transcript


def test_personal_details_are_bleeped_in_the_redacted_copy_and_the_disguised_copy_is_shifted(app, sim):
    with app.app_context():
        text = "hello my name is maria and my number is five five five oh one two three four five six thanks"
        share_id, segment, transcript = _english_share(app, sim, disguise=True, text=text, seconds=9.5)
        screening = screen(transcript)
        assert screening.personal_spans

        outcome = jobs.finish(share_id, original_key=_share(share_id).original_key, segment=segment,
                              stats=audio.measure(segment), transcript=transcript, screening=screening,
                              duration_s=10, truncated=False)

        share = _share(share_id)
        assert outcome.status == share.status == "queued"
        assert share.tier == screening.tier.label and share.priority == screening.priority
        assert any("personal" in r for r in share.reasons)
        redacted = AudioSegment.from_file(io.BytesIO(storage().get(share.redacted_key)))
        disguised = AudioSegment.from_file(io.BytesIO(storage().get(share.disguised_key)))
        start, end = screening.personal_spans[0]
        inside = np.asarray(redacted[int(start * 1000) + 60: int(end * 1000) - 60].get_array_of_samples(), float)
        spectrum = np.abs(np.fft.rfft(inside))
        peak_hz = np.argmax(spectrum) * 16000 / len(inside)
        assert abs(peak_hz - 1000) < 20  # the bleep tone, not the 440 Hz "voice"
        outside = np.asarray(redacted[100:900].get_array_of_samples(), float)
        assert abs(np.argmax(np.abs(np.fft.rfft(outside))) * 16000 / len(outside) - 440) < 20
        assert len(disguised) == len(redacted)
        shifted = np.asarray(disguised[100:900].get_array_of_samples(), float)
        shifted_hz = np.argmax(np.abs(np.fft.rfft(shifted))) * 16000 / len(shifted)
        assert abs(shifted_hz - 440 * 2 ** (-4 / 12)) < 20  # four semitones down
        assert OncallAlert.query.count() == 0 and sim.outbox == []


def test_a_crisis_tier_share_texts_on_call_once_within_a_minute_without_the_callers_details(app, sim):
    with app.app_context():
        text = "i am going to kill myself tonight i have the pills ready"
        share_id, segment, transcript = _english_share(app, sim, disguise=False, text=text)
        screening = screen(transcript)
        assert screening.tier.label == "crisis", screening
        started = time.monotonic()

        for _ in range(2):  # the job running twice must not text twice
            jobs.finish(share_id, original_key=_share(share_id).original_key, segment=segment,
                        stats=audio.measure(segment), transcript=transcript, screening=screening,
                        duration_s=6, truncated=False)

        assert time.monotonic() - started < 60
        share = _share(share_id)
        assert share.status == "queued" and shares.queue()[0].id == share_id
        assert len(sim.outbox) == 1
        message = sim.outbox[0]
        assert message["to"] == "+15550100111" and message["from"] == app.config["TWILIO_NUMBER"]
        assert share.reference in message["body"] and "crisis" in message["body"]
        assert "pills" not in message["body"]
        alert = OncallAlert.query.filter_by(share_id=share_id).one()
        assert alert.status == "sent" and alert.message_sid == message["sid"] and alert.attempts == 1


def test_a_failed_sms_is_recorded_and_retried_until_it_gets_out(app, sim):
    with app.app_context():
        share_id, segment, transcript = _english_share(
            app, sim, disguise=False, text="i am going to kill myself tonight with the pills i saved")
        screening = screen(transcript)
        shares.record_processing_result(share_id, tier=screening.tier.label, priority=screening.priority)
        db.session.commit()
        sim.faults.rest_fail_next = 1
        sim.faults.rest_error_status = 500

        from ivr.telephony import TelephonyError
        with pytest.raises(TelephonyError):
            jobs.alert_oncall(share_id)
        alert = OncallAlert.query.filter_by(share_id=share_id).one()
        assert alert.status == "pending" and "HTTP 500" in alert.error and sim.outbox == []

        assert jobs.alert_oncall(share_id).endswith("alert sent")
        assert len(sim.outbox) == 1 and OncallAlert.query.filter_by(share_id=share_id).one().attempts == 2


def test_without_an_oncall_number_the_gap_is_recorded_and_logged(app, sim, caplog):
    with app.app_context():
        app.config["ONCALL_NUMBER"] = ""
        share_id, *_ = _english_share(app, sim, disguise=False, text="i want to die")
        assert jobs.alert_oncall(share_id).endswith("alert unconfigured")
        assert sim.outbox == []
        assert "no ONCALL_NUMBER configured" in caplog.text


def test_importing_the_worker_modules_loads_no_vosk_and_builds_no_app():
    import subprocess
    import sys
    from tests.workers.pipeline_support import ROOT
    # Vosk loads only when a worker loads a model; the app is built by `python -m workers` (or the
    # first job), never by an import.
    code = ("import sys, workers.share_pipeline, workers.sweep, workers.reminders, workers.circle_names, workers.__main__; "
            "from workers import context; print('vosk' in sys.modules, context._app is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False True"


def test_a_share_whose_runs_never_finish_stops_after_the_attempt_limit_no_crash_loop(app, korean_twilio_wav):
    with app.app_context():
        share_id = make_share(audio=korean_twilio_wav)
        for _ in range(3):  # SHARE_MAX_ATTEMPTS = 3 runs, each killed before it could finish
            shares.mark_processing(share_id)
        db.session.commit()

        jobs.process_share(share_id)

        share = _share(share_id)
        assert share.status == "needs_listening" and share.attempts == 4
        assert share.failure_reason == "processing failed: 3 attempts never finished"
        assert share.transcript is None and storage().exists(share.original_key)


def test_when_the_first_sms_fails_a_retrying_alert_job_gets_it_out(app, sim):
    with app.app_context():
        share_id, segment, transcript = _english_share(
            app, sim, disguise=False, text="i am going to kill myself tonight i have the pills ready")
        sim.faults.rest_fail_next = 1
        sim.faults.rest_error_status = 503
        jobs.finish(share_id, original_key=_share(share_id).original_key, segment=segment,
                    stats=audio.measure(segment), transcript=transcript, screening=screen(transcript),
                    duration_s=6, truncated=False)
        assert len(sim.outbox) == 1
        alert = OncallAlert.query.filter_by(share_id=share_id).one()
        assert alert.status == "sent" and alert.attempts == 2


def test_a_share_discarded_while_its_job_runs_keeps_nothing_and_the_job_stops(app, sim, korean_twilio_wav):
    with app.app_context():
        sid = add_twilio_recording(sim, korean_twilio_wav)
        share_id = make_share(recording_sid=sid)
        share = shares.mark_processing(share_id)
        db.session.commit()
        shares.discard(share_id)  # the caller pressed "discard" as the worker started
        db.session.commit()

        outcome = jobs._pipeline(app, share)

        share = _share(share_id)
        assert outcome.status == "discarded" and share.status == "discarded"
        assert share.original_key is None and share.transcript is None
        assert not storage().exists(jobs.original_key_for(share))
        assert sim.recordings.get(sid) is None
