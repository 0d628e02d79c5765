"""Audio for voice shares: decode, measure, tidy, bleep, disguise and export.

Pure functions over bytes and pydub ``AudioSegment``s; ffmpeg does every codec's work. Decoding
always yields 16 kHz mono signed 16-bit audio, the format Vosk wants. It lives in ivr/ (not
workers/) because the workers' redaction and the moderators' bleep preview must be the same
code, and the web process never imports workers/. Nothing here loads Vosk.
"""
from __future__ import annotations

import io
import math
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Iterable, NamedTuple

import numpy as np
from pydub import AudioSegment

TARGET_RATE = 16_000
# Twilio's <Record maxLength> tops out at an hour, so anything longer is not a genuine share.
DEFAULT_MAX_DURATION_S = 3600.0
MIN_SAMPLE_RATE = 4_000
MAX_SAMPLE_RATE = 384_000
FRAME_MS = 30
# Speech sits within this many dB of the recording's own RMS; phone audio is often ~-40 dBFS,
# which pydub's fixed -16 dBFS default would call silence.
SPEECH_RELATIVE_DB = 16.0
# Steady hiss or hum is not speech: a frame must also stand this far above the noise floor.
NOISE_MARGIN_DB = 6.0
ABSOLUTE_FLOOR_DBFS = -65.0
MIN_SPEECH_MS = 300
FFMPEG_TIMEOUT_S = 300

_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


class AudioError(ValueError):
    """Audio we cannot use: unreadable, empty, implausible or too long."""


@dataclass(frozen=True)
class AudioStats:
    """Loudness and speech presence of a recording."""

    duration_s: float
    dbfs: float  # RMS loudness; -inf for digital silence
    speech_ms: int
    is_empty: bool


class Cut(NamedTuple):
    """A segment cut to a maximum length, and whether anything was dropped."""

    segment: AudioSegment
    truncated: bool


@dataclass(frozen=True)
class WavHeader:
    """The facts a RIFF/WAVE header states about its audio."""

    format_tag: int  # 1 PCM, 3 float, 6 A-law, 7 μ-law, ...
    channels: int
    sample_rate: int
    byte_rate: int
    bits_per_sample: int
    data_bytes: int  # bytes actually present, never more than the header claims

    @property
    def duration_s(self) -> float:
        """Duration implied by the header and the data present."""
        return self.data_bytes / self.byte_rate


def is_wav(data: bytes) -> bool:
    """True when the bytes start like a RIFF/WAVE file."""
    return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE"


def parse_wav_header(data: bytes) -> WavHeader:
    """Read a WAV header without decoding the audio; raise AudioError if it is implausible."""
    if not is_wav(data):
        raise AudioError("not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int, int] | None = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise AudioError("corrupt WAV: fmt chunk too short")
            tag, channels, rate, byte_rate, _align, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag == _WAVE_FORMAT_EXTENSIBLE and size >= 40 and body + 26 <= len(data):
                # The real codec hides in the first two bytes of the SubFormat GUID.
                (tag,) = struct.unpack_from("<H", data, body + 24)
            fmt = (tag, channels, rate, byte_rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError("corrupt WAV: data chunk before fmt chunk")
            tag, channels, rate, byte_rate, bits = fmt
            if channels < 1:
                raise AudioError("corrupt WAV: zero channels")
            if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
                raise AudioError(f"implausible WAV sample rate {rate} Hz")
            if byte_rate <= 0:
                raise AudioError("corrupt WAV: zero byte rate")
            available = len(data) - body
            # Streaming writers leave the size at 0 or 0xFFFFFFFF; judge such files by their bytes.
            present = available if size in (0, 0xFFFFFFFF) else min(size, available)
            if present <= 0:
                raise AudioError("WAV holds no audio samples")
            return WavHeader(tag, channels, rate, byte_rate, bits, present)
        pos = body + size + (size & 1)  # chunks are word-aligned
    raise AudioError("corrupt WAV: no fmt/data chunk")


def decode(data: bytes, *, max_duration_s: float = DEFAULT_MAX_DURATION_S) -> AudioSegment:
    """Decode WAV (PCM or μ-law), MP3 or anything ffmpeg reads to 16 kHz mono s16."""
    if max_duration_s <= 0:
        raise ValueError("max_duration_s must be positive")
    if not data:
        raise AudioError("empty input: zero bytes")
    if is_wav(data):
        # Reject hours-long files from the header before spending time decoding them.
        header = parse_wav_header(data)
        if header.duration_s > max_duration_s:
            raise AudioError(f"audio is {header.duration_s:.0f} s long; the limit is {max_duration_s:.0f} s")
    # One second over the limit is enough to tell "too long" apart from "exactly at the limit".
    pcm = _ffmpeg_to_pcm16k(data, limit_s=max_duration_s + 1.0)
    if not pcm:
        raise AudioError("no audio could be decoded")
    segment = AudioSegment(data=pcm, sample_width=2, frame_rate=TARGET_RATE, channels=1)
    if segment.duration_seconds > max_duration_s:
        raise AudioError(f"audio is longer than the limit of {max_duration_s:.0f} s")
    return segment


def _ffmpeg_to_pcm16k(data: bytes, *, limit_s: float) -> bytes:
    # Not AudioSegment.from_file: it picks pcm_u8 output for μ-law input (8-bit linear, awful SNR)
    # and appends `parameters` after the output name, where ffmpeg ignores them. Asking ffmpeg for
    # s16 at 16 kHz mono also gets its band-limited resampler instead of audioop's naive one.
    with tempfile.NamedTemporaryFile(suffix=".audio") as source:
        # A real file lets ffmpeg seek, which containers with trailing indexes need.
        source.write(data)
        source.flush()
        command = [
            AudioSegment.converter, "-nostdin", "-hide_banner", "-loglevel", "error",
            "-i", source.name, "-map", "0:a:0", "-t", f"{limit_s:.3f}",
            "-ac", "1", "-ar", str(TARGET_RATE), "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1",
        ]
        try:
            result = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise AudioError("ffmpeg took too long to decode the audio") from exc
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise AudioError("unreadable audio: " + (detail[-1] if detail else f"ffmpeg exit {result.returncode}"))
    return result.stdout[: len(result.stdout) & ~1]


def _samples(segment: AudioSegment) -> np.ndarray:
    """Mono float samples in [-1, 1]."""
    array = np.asarray(segment.get_array_of_samples(), dtype=np.float64)
    array /= float(1 << (8 * segment.sample_width - 1))
    if segment.channels > 1:
        array = array.reshape(-1, segment.channels).mean(axis=1)
    return array


def _frame_dbfs(segment: AudioSegment, frame_ms: int = FRAME_MS) -> np.ndarray:
    samples = _samples(segment)
    size = max(1, segment.frame_rate * frame_ms // 1000)
    count = len(samples) // size
    if count == 0:
        return np.empty(0)
    frames = samples[: count * size].reshape(count, size)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-10))


def _speech_frames(segment: AudioSegment) -> np.ndarray:
    """Boolean mask of frames that carry speech, judged against the recording's own level."""
    levels = _frame_dbfs(segment)
    if levels.size == 0 or segment.rms == 0:
        return np.zeros(levels.size, dtype=bool)
    threshold = max(
        segment.dBFS - SPEECH_RELATIVE_DB,
        float(np.percentile(levels, 10)) + NOISE_MARGIN_DB,
        ABSOLUTE_FLOOR_DBFS,
    )
    return levels >= threshold


def measure(segment: AudioSegment) -> AudioStats:
    """Measure loudness and how much speech a recording holds."""
    speech_ms = int(np.count_nonzero(_speech_frames(segment))) * FRAME_MS
    dbfs = segment.dBFS if segment.rms else -math.inf
    return AudioStats(
        duration_s=segment.duration_seconds,
        dbfs=dbfs,
        speech_ms=speech_ms,
        is_empty=speech_ms < MIN_SPEECH_MS,
    )


def normalise(segment: AudioSegment, target_dbfs: float = -20.0, *, peak_ceiling_dbfs: float = -1.0) -> AudioSegment:
    """Bring speech to a steady loudness without letting peaks clip."""
    if not segment.rms:
        return segment
    speech = _speech_frames(segment)
    levels = _frame_dbfs(segment)
    if speech.any():
        # Judge loudness on speech alone, so long pauses don't earn the voice extra gain.
        current = 10 * math.log10(float(np.mean(10 ** (levels[speech] / 10))))
    else:
        current = segment.dBFS
    gain = target_dbfs - current
    gain = min(gain, peak_ceiling_dbfs - segment.max_dBFS)
    return segment.apply_gain(gain)


def trim_silence(segment: AudioSegment, *, pad_ms: int = 150) -> AudioSegment:
    """Drop silence at both ends, keeping a little air; empty if there is no speech at all."""
    speech = np.flatnonzero(_speech_frames(segment))
    if speech.size == 0:
        return segment[:0]
    start = max(0, int(speech[0]) * FRAME_MS - pad_ms)
    end = min(len(segment), (int(speech[-1]) + 1) * FRAME_MS + pad_ms)
    return segment[start:end]


def cut(segment: AudioSegment, max_s: float, *, fade_ms: int = 200) -> Cut:
    """Keep at most max_s seconds, fading out at the cut, and say whether anything was lost."""
    if max_s <= 0:
        raise ValueError("max_s must be positive")
    limit_ms = int(max_s * 1000)
    if len(segment) <= limit_ms:
        return Cut(segment, False)
    # A hard stop mid-word clicks; a short fade tells the listener the share was cut.
    return Cut(segment[:limit_ms].fade_out(min(fade_ms, limit_ms)), True)


def _to_array(segment: AudioSegment) -> np.ndarray:
    dtypes = {1: np.int8, 2: np.int16, 4: np.int32}
    if segment.sample_width not in dtypes:
        raise AudioError(f"unsupported sample width {segment.sample_width}")
    return np.frombuffer(segment.raw_data, dtype=dtypes[segment.sample_width]).reshape(-1, segment.channels).copy()


def bleep(
    segment: AudioSegment,
    spans: Iterable[tuple[float, float]],
    *,
    tone_hz: float = 1000.0,
    level_dbfs: float = -20.0,
    pad_s: float = 0.05,
) -> AudioSegment:
    """Replace each (start_s, end_s) span with a steady tone; nothing of the original survives there."""
    samples = _to_array(segment)
    rate = segment.frame_rate
    full_scale = float(np.iinfo(samples.dtype).max)
    # pydub's dBFS is RMS against full scale, and a sine's RMS is its peak over sqrt(2).
    amplitude = full_scale * 10 ** (level_dbfs / 20) * math.sqrt(2)
    ramp = max(1, rate // 200)  # 5 ms ramps: a tone switched on at full level clicks
    for start_s, end_s in spans:
        # Vosk's word times sit on a 30 ms grid; padding stops syllable edges leaking out.
        first = max(0, int(round((start_s - pad_s) * rate)))
        last = min(len(samples), int(round((end_s + pad_s) * rate)))
        if last <= first:
            continue
        t = np.arange(last - first) / rate
        tone = amplitude * np.sin(2 * math.pi * tone_hz * t)
        edge = min(ramp, (last - first) // 2)
        if edge:
            envelope = np.linspace(0.0, 1.0, edge)
            tone[:edge] *= envelope
            tone[-edge:] *= envelope[::-1]
        samples[first:last, :] = np.round(tone)[:, None].astype(samples.dtype)
    return segment._spawn(samples.tobytes())


def disguise(segment: AudioSegment, semitones: float = -4.0) -> AudioSegment:
    """Shift the voice's pitch (and formants) so it is not recognisable; duration is kept."""
    if not -12 <= semitones <= 12 or semitones == 0:
        raise ValueError("semitones must be non-zero and within one octave")
    # asetrate resamples, moving pitch and formants together (harder to recognise than a
    # formant-preserving shift); atempo then restores the speed. A fixed shift can be undone by a
    # determined analyst: this protects against recognition by ear, not forensic work.
    source = segment.set_sample_width(2)
    factor = 2 ** (semitones / 12)
    rate = source.frame_rate
    command = [
        AudioSegment.converter, "-nostdin", "-hide_banner", "-loglevel", "error",
        "-f", "s16le", "-ar", str(rate), "-ac", str(source.channels), "-i", "pipe:0",
        "-af", f"asetrate={rate * factor:.3f},aresample={rate},atempo={1 / factor:.6f}",
        "-f", "s16le", "-ar", str(rate), "-ac", str(source.channels), "pipe:1",
    ]
    result = subprocess.run(command, input=source.raw_data, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise AudioError("ffmpeg could not shift the pitch: " + result.stderr.decode(errors="replace").strip())
    # atempo is only approximately length-preserving: pin the length so word timings still line up.
    frame_bytes = 2 * source.channels
    out = result.stdout[: len(source.raw_data)]
    out = out[: len(out) - len(out) % frame_bytes]
    out += b"\x00" * (len(source.raw_data) - len(out))
    return source._spawn(out)


def export(segment: AudioSegment, fmt: str = "wav", *, bitrate: str = "48k") -> bytes:
    """Encode a segment as WAV or MP3 bytes."""
    if fmt not in ("wav", "mp3"):
        raise ValueError(f"unsupported export format {fmt!r}; use 'wav' or 'mp3'")
    buffer = io.BytesIO()
    if fmt == "mp3":
        segment.export(buffer, format="mp3", bitrate=bitrate)
    else:
        segment.export(buffer, format="wav")
    return buffer.getvalue()


__all__ = [
    "AudioError", "AudioStats", "Cut", "WavHeader", "DEFAULT_MAX_DURATION_S", "TARGET_RATE",
    "bleep", "cut", "decode", "disguise", "export", "is_wav", "measure", "normalise",
    "parse_wav_header", "trim_silence",
]
