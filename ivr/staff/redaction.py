"""Render a share's publishable audio from the original: chosen words bleeped, voice disguised if asked.

A small web-side helper (pydub, numpy and ffmpeg only — never Vosk, never workers/), so a moderator
can change the bleeps and hear the result at once. The tone and pitch shift mirror workers.audio.
"""
from __future__ import annotations

import io
import math
import subprocess
from typing import Iterable

import numpy as np
from pydub import AudioSegment

RATE = 16_000
TONE_HZ = 1000.0
TONE_DBFS = -20.0
PAD_S = 0.05  # Vosk's 30 ms grid: pad so syllable edges do not leak out
DISGUISE_SEMITONES = -4.0
FFMPEG_TIMEOUT_S = 120


class RedactionError(RuntimeError):
    """The audio could not be decoded or rendered."""


def decode(data: bytes) -> AudioSegment:
    """Any audio ffmpeg reads (μ-law WAVs included) → 16 kHz mono signed 16-bit."""
    raw = _ffmpeg(["-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(RATE), "pipe:1"], data)
    if not raw:
        raise RedactionError("no audio in the recording")
    return AudioSegment(raw, sample_width=2, frame_rate=RATE, channels=1)


def bleep(segment: AudioSegment, spans: Iterable[tuple[float, float]]) -> AudioSegment:
    """Replace each (start_s, end_s) span with a steady tone; nothing of the voice survives there."""
    samples = np.frombuffer(segment.raw_data, dtype=np.int16).copy()
    amplitude = 32767 * 10 ** (TONE_DBFS / 20) * math.sqrt(2)
    ramp = RATE // 200  # 5 ms fade: a tone switched on at full level clicks
    for start_s, end_s in spans:
        first = max(0, int(round((start_s - PAD_S) * RATE)))
        last = min(len(samples), int(round((end_s + PAD_S) * RATE)))
        if last <= first:
            continue
        tone = amplitude * np.sin(2 * math.pi * TONE_HZ * np.arange(last - first) / RATE)
        edge = min(ramp, (last - first) // 2)
        if edge:
            envelope = np.linspace(0.0, 1.0, edge)
            tone[:edge] *= envelope
            tone[-edge:] *= envelope[::-1]
        samples[first:last] = np.round(tone).astype(np.int16)
    return segment._spawn(samples.tobytes())


def disguise(segment: AudioSegment, semitones: float = DISGUISE_SEMITONES) -> AudioSegment:
    """Shift pitch and formants together, keeping the length so word times still line up."""
    factor = 2 ** (semitones / 12)
    out = _ffmpeg(["-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0",
                   "-af", f"asetrate={RATE * factor:.3f},aresample={RATE},atempo={1 / factor:.6f}",
                   "-f", "s16le", "-ar", str(RATE), "-ac", "1", "pipe:1"], segment.raw_data)
    size = len(segment.raw_data)
    out = out[:size]
    out = out[: len(out) - len(out) % 2]
    out += b"\x00" * (size - len(out))
    return segment._spawn(out)


def render(original: bytes, spans: Iterable[tuple[float, float]], *, disguised: bool) -> bytes:
    """The publishable WAV: bleeped over `spans`, then disguised when the caller asked for it."""
    segment = bleep(decode(original), list(spans))
    if disguised:
        segment = disguise(segment)
    buffer = io.BytesIO()
    segment.export(buffer, format="wav")
    return buffer.getvalue()


def _ffmpeg(args: list[str], data: bytes) -> bytes:
    command = [AudioSegment.converter or "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *args]
    try:
        result = subprocess.run(command, input=data, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RedactionError(f"ffmpeg failed: {exc}") from exc
    if result.returncode != 0:
        raise RedactionError("ffmpeg failed: " + result.stderr.decode(errors="replace").strip()[:300])
    return result.stdout
