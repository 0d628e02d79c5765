"""ivr.audio against real ffmpeg output: decoding, measuring, tidying, bleeping, disguising."""
from __future__ import annotations

import math
import struct
import time

import numpy as np
import pytest
from pydub import AudioSegment

from ivr import audio
from ivr.audio import AudioError


def samples(segment: AudioSegment) -> np.ndarray:
    """Mono float samples in [-1, 1]."""
    array = np.asarray(segment.get_array_of_samples(), dtype=np.float64) / (1 << (8 * segment.sample_width - 1))
    return array.reshape(-1, segment.channels).mean(axis=1)


def window(segment: AudioSegment, start_s: float, end_s: float) -> np.ndarray:
    """Samples between two times."""
    rate = segment.frame_rate
    return samples(segment)[int(start_s * rate): int(end_s * rate)]


def spectrum(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and power of a Hann-windowed signal."""
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    return np.fft.rfftfreq(len(x), 1 / rate), power


def dominant_hz(x: np.ndarray, rate: int) -> float:
    """The frequency with the most power."""
    freqs, power = spectrum(x, rate)
    return float(freqs[np.argmax(power[1:]) + 1])


def fraction_near(x: np.ndarray, rate: int, hz: float, width_hz: float = 30.0) -> float:
    """Share of the signal's power within width_hz of hz."""
    freqs, power = spectrum(x, rate)
    return float(power[np.abs(freqs - hz) <= width_hz].sum() / power.sum())


def snr_db(segment: AudioSegment, hz: float) -> float:
    """Power at a test tone against everything else, in dB."""
    x = samples(segment)
    freqs, power = spectrum(x, segment.frame_rate)
    signal = power[np.abs(freqs - hz) <= 15].sum()
    return 10 * math.log10(signal / (power.sum() - signal))


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level of float samples in dBFS."""
    return 20 * math.log10(max(float(np.sqrt(np.mean(x**2))), 1e-10))


def wav_header(*, tag: int, channels: int, rate: int, bits: int, data_bytes: int) -> bytes:
    """A canonical 44-byte WAV header claiming data_bytes of audio."""
    align = max(1, channels * bits // 8)
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<I", 16) + fmt
        + b"data" + struct.pack("<I", data_bytes)
    )


@pytest.fixture(scope="module")
def tone_mulaw(ffmpeg) -> bytes:
    """Two seconds of 440 Hz as Twilio sends recordings: 8 kHz μ-law WAV."""
    return ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2:sample_rate=8000",
                  "-af", "volume=-6dB", "-c:a", "pcm_mulaw", "-f", "wav", "pipe:1")


@pytest.fixture(scope="module")
def speech(english_wav) -> AudioSegment:
    """English speech decoded by the code under test."""
    return audio.decode(english_wav)


# --- decoding -----------------------------------------------------------------------------------

def test_mulaw_wav_decodes_to_16k_mono_s16_with_good_snr(tone_mulaw):
    segment = audio.decode(tone_mulaw)
    assert (segment.frame_rate, segment.channels, segment.sample_width) == (16000, 1, 2)
    assert segment.duration_seconds == pytest.approx(2.0, abs=0.01)
    # G.711 μ-law gives ~35 dB on a tone; decoding it as 8-bit linear PCM gives under 20.
    assert snr_db(segment, 440) > 30


def test_naive_pydub_decode_of_mulaw_is_the_trap_we_avoid(tone_mulaw, tmp_path):
    path = tmp_path / "twilio.wav"
    path.write_bytes(tone_mulaw)
    naive = AudioSegment.from_file(str(path))
    assert naive.sample_width == 1  # pydub picked pcm_u8 output: 8-bit linear
    assert snr_db(naive, 440) < snr_db(audio.decode(tone_mulaw), 440) - 10


def test_mp3_decodes(english_wav, ffmpeg):
    mp3 = ffmpeg("-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", "pipe:1", stdin=english_wav)
    segment = audio.decode(mp3)
    assert (segment.frame_rate, segment.channels, segment.sample_width) == (16000, 1, 2)
    assert segment.duration_seconds == pytest.approx(AudioSegment(english_wav).duration_seconds, abs=0.15)
    assert not audio.measure(segment).is_empty


def test_stereo_44k_pcm_wav_is_downmixed_and_resampled(ffmpeg):
    wav = ffmpeg("-f", "lavfi", "-i", "sine=frequency=1000:duration=1:sample_rate=44100",
                 "-ac", "2", "-c:a", "pcm_s24le", "-f", "wav", "pipe:1")
    segment = audio.decode(wav)
    assert (segment.frame_rate, segment.channels, segment.sample_width) == (16000, 1, 2)
    assert dominant_hz(samples(segment), 16000) == pytest.approx(1000, abs=5)
    assert snr_db(segment, 1000) > 40


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "zero bytes"),
        (b"this is not audio at all, just a text file\n" * 20, "unreadable"),
        (bytes(range(256)) * 8, "unreadable"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "no fmt/data"),
        (wav_header(tag=7, channels=1, rate=8000, bits=8, data_bytes=0), "no audio samples"),
        (wav_header(tag=7, channels=1, rate=0, bits=8, data_bytes=800) + b"\xff" * 800, "sample rate 0"),
        (wav_header(tag=1, channels=1, rate=11, bits=16, data_bytes=800) + b"\x00" * 800, "sample rate 11"),
        (wav_header(tag=1, channels=0, rate=8000, bits=16, data_bytes=800) + b"\x00" * 800, "zero channels"),
    ],
    ids=["empty", "text", "noise-bytes", "truncated-header", "no-data", "rate-zero", "rate-absurd", "no-channels"],
)
def test_unusable_input_raises_audio_error(data, message):
    with pytest.raises(AudioError, match=message):
        audio.decode(data)


def test_truncated_mp3_is_rejected(english_wav, ffmpeg):
    mp3 = ffmpeg("-i", "pipe:0", "-f", "mp3", "pipe:1", stdin=english_wav)
    with pytest.raises(AudioError):
        audio.decode(mp3[:40])


def test_hours_long_wav_is_rejected_from_its_header_without_decoding():
    # A genuine two-hour 8 kHz μ-law recording (57.6 MB of μ-law silence).
    data_bytes = 2 * 3600 * 8000
    wav = wav_header(tag=7, channels=1, rate=8000, bits=8, data_bytes=data_bytes) + b"\xff" * data_bytes
    started = time.perf_counter()
    with pytest.raises(AudioError, match="7200 s long"):
        audio.decode(wav)
    assert time.perf_counter() - started < 1.0  # decoding two hours would take far longer


@pytest.mark.parametrize("declared", [0, 0xFFFFFFFF, 0xFFFFFFF0], ids=["streaming-zero", "streaming-max", "overstated"])
def test_data_size_that_is_unknown_or_overstated_is_judged_by_the_bytes_present(tone_mulaw, declared):
    lying = bytearray(tone_mulaw)
    data_at = lying.index(b"data")
    lying[data_at + 4: data_at + 8] = struct.pack("<I", declared)
    assert audio.parse_wav_header(bytes(lying)).duration_s == pytest.approx(2.0, abs=0.01)
    assert audio.decode(bytes(lying)).duration_seconds == pytest.approx(2.0, abs=0.01)


def test_max_duration_applies_to_wav_and_to_formats_without_a_usable_header(english_wav, ffmpeg):
    with pytest.raises(AudioError, match="limit"):
        audio.decode(english_wav, max_duration_s=3)
    mp3 = ffmpeg("-i", "pipe:0", "-f", "mp3", "pipe:1", stdin=english_wav)
    with pytest.raises(AudioError, match="limit"):
        audio.decode(mp3, max_duration_s=3)
    assert audio.decode(mp3, max_duration_s=30).duration_seconds > 5


def test_parse_wav_header_reads_mulaw_facts(tone_mulaw):
    header = audio.parse_wav_header(tone_mulaw)
    assert (header.format_tag, header.channels, header.sample_rate, header.bits_per_sample) == (7, 1, 8000, 8)
    assert header.duration_s == pytest.approx(2.0, abs=0.01)


# --- measuring and tidying ----------------------------------------------------------------------

def test_measure_speech_with_silence_around_it(speech):
    padded = AudioSegment.silent(2000, frame_rate=16000) + speech + AudioSegment.silent(2000, frame_rate=16000)
    stats = audio.measure(padded)
    assert stats.duration_s == pytest.approx(speech.duration_seconds + 4, abs=0.01)
    assert not stats.is_empty
    # espeak leaves short pauses between words: speech is most, but not all, of the voiced part.
    assert 0.5 * len(speech) < stats.speech_ms <= len(speech) + 100
    assert -30 < stats.dbfs < -15


def test_quiet_phone_speech_counts_as_speech_though_pydub_default_calls_it_silent(speech, ffmpeg):
    quiet = speech.apply_gain(-35)
    phone = audio.decode(ffmpeg("-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "pipe:0",
                                "-ar", "8000", "-c:a", "pcm_mulaw", "-f", "wav", "pipe:1", stdin=quiet.raw_data))
    stats = audio.measure(phone)
    assert stats.dbfs < -50
    assert not stats.is_empty and stats.speech_ms > 0.5 * len(speech)
    from pydub.silence import detect_nonsilent
    assert detect_nonsilent(phone) == []  # the -16 dBFS default hears nothing


@pytest.mark.parametrize("kind", ["digital-silence", "steady-hiss", "steady-hum"])
def test_silence_and_steady_noise_are_empty(kind, ffmpeg):
    if kind == "digital-silence":
        segment = AudioSegment.silent(3000, frame_rate=16000)
    else:
        source = "anoisesrc=color=white:amplitude=0.01:duration=3" if kind == "steady-hiss" else "sine=frequency=50:duration=3"
        segment = audio.decode(ffmpeg("-f", "lavfi", "-i", source, "-f", "wav", "pipe:1"))
    stats = audio.measure(segment)
    assert stats.is_empty and stats.speech_ms < 300
    if kind == "digital-silence":
        assert stats.dbfs == -math.inf


def test_normalise_brings_quiet_and_loud_speech_to_the_same_level_without_clipping(speech):
    quiet = audio.normalise(speech.apply_gain(-30))
    loud = audio.normalise(speech.apply_gain(+4))  # hot enough to clip if gain were added blindly
    assert quiet.dBFS == pytest.approx(loud.dBFS, abs=1.5)
    assert quiet.max_dBFS <= -0.9 and loud.max_dBFS <= -0.9
    assert audio.normalise(AudioSegment.silent(500)).rms == 0


def test_trim_silence_drops_the_ends_only(speech):
    padded = AudioSegment.silent(3000, frame_rate=16000) + speech + AudioSegment.silent(3000, frame_rate=16000)
    trimmed = audio.trim_silence(padded, pad_ms=150)
    assert abs(len(trimmed) - len(speech)) < 500
    assert len(audio.trim_silence(AudioSegment.silent(2000, frame_rate=16000))) == 0


def test_cut_keeps_the_start_and_marks_truncation(speech):
    short = audio.cut(speech, 2.5)
    assert short.truncated and len(short.segment) == 2500
    assert np.array_equal(samples(short.segment)[:16000], samples(speech)[:16000])
    whole = audio.cut(speech, 60)
    assert not whole.truncated and whole.segment is speech


# --- bleeping and disguising --------------------------------------------------------------------

def test_bleep_replaces_spans_with_a_1khz_tone_and_leaves_the_rest(speech):
    spans = [(1.0, 1.8), (3.2, 3.6)]
    bleeped = audio.bleep(speech, spans, pad_s=0.05)
    assert len(bleeped) == len(speech) and bleeped.frame_rate == speech.frame_rate
    rate = speech.frame_rate
    for start, end in spans:
        original, replaced = window(speech, start, end), window(bleeped, start, end)
        assert rms_dbfs(original) > -45  # there was speech to hide
        assert dominant_hz(replaced, rate) == pytest.approx(1000, abs=5)
        assert fraction_near(replaced, rate, 1000) > 0.999  # no speech energy left
        assert rms_dbfs(replaced) == pytest.approx(-20, abs=1)  # a moderate level
    # Outside the padded spans the audio is untouched, sample for sample.
    before, after = samples(speech), samples(bleeped)
    keep = np.ones(len(before), dtype=bool)
    for start, end in spans:
        keep[int((start - 0.05) * rate): int((end + 0.05) * rate)] = False
    assert np.array_equal(before[keep], after[keep])


def test_bleep_clamps_spans_to_the_audio_and_ignores_empty_ones(speech):
    end = speech.duration_seconds
    bleeped = audio.bleep(speech, [(end - 0.5, end + 10), (-3, 0.3), (2.0, 2.0)], pad_s=0)
    assert len(bleeped) == len(speech)
    assert fraction_near(window(bleeped, end - 0.5, end), speech.frame_rate, 1000) > 0.999
    assert fraction_near(window(bleeped, 0, 0.3), speech.frame_rate, 1000) > 0.999


def test_disguise_shifts_pitch_and_keeps_duration(ffmpeg):
    tone = audio.decode(ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-f", "wav", "pipe:1"))
    shifted = audio.disguise(tone, semitones=-4)
    assert len(shifted) == pytest.approx(len(tone), rel=0.05)
    middle = window(shifted, 0.5, 2.5)
    assert dominant_hz(middle, 16000) == pytest.approx(440 * 2 ** (-4 / 12), rel=0.02)


def test_disguise_changes_a_real_voice(speech):
    shifted = audio.disguise(speech, semitones=5)
    assert len(shifted) == pytest.approx(len(speech), rel=0.05)

    def centroid(x):
        freqs, power = spectrum(x, 16000)
        return float((freqs * power).sum() / power.sum())

    # Resampling moves formants with pitch: the whole spectrum rises by about a third.
    ratio = centroid(samples(shifted)) / centroid(samples(speech))
    assert 1.15 < ratio < 1.5
    assert not audio.measure(shifted).is_empty
    with pytest.raises(ValueError):
        audio.disguise(speech, semitones=0)


def test_export_wav_and_mp3_round_trip(speech):
    wav = audio.export(speech, "wav")
    assert wav[:4] == b"RIFF" and audio.decode(wav).raw_data == speech.raw_data
    mp3 = audio.export(speech, "mp3")
    assert mp3[:3] == b"ID3" or mp3[0] == 0xFF
    assert audio.decode(mp3).duration_seconds == pytest.approx(speech.duration_seconds, abs=0.15)
    with pytest.raises(ValueError):
        audio.export(speech, "flac")
