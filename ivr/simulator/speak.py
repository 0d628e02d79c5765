"""Render what a caller heard to a WAV with espeak-ng, so a person can listen to the line."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from pydub import AudioSegment
from pydub.generators import Sine

SAMPLE_RATE = 16000


def espeak_voice(language: str | None) -> str:
    """The espeak-ng voice closest to a TwiML language code (en-US -> en-us, es-US -> es-419)."""
    lang = (language or "en-US").lower()
    if lang.startswith("es"):
        return "es-419"
    if lang.startswith("en-gb"):
        return "en-gb"
    return "en-us" if lang.startswith("en") else lang.split("-")[0]


def tts(text: str, language: str | None) -> AudioSegment:
    """One sentence spoken by espeak-ng."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["espeak-ng", "-v", espeak_voice(language), "-s", "165", "-w", tmp.name, text],
                       check=True, capture_output=True)
        return AudioSegment.from_wav(tmp.name).set_frame_rate(SAMPLE_RATE).set_channels(1)


def render(entries, out_path: str | Path, media=None) -> float:
    """Write what the caller heard (speech, played audio, beeps, pauses) to a WAV; return its seconds.

    `media(url)` returns the decoded audio of a <Play>, or None (then a short tone stands in).
    """
    audio = AudioSegment.silent(duration=200, frame_rate=SAMPLE_RATE)
    gap = AudioSegment.silent(duration=300, frame_rate=SAMPLE_RATE)
    for entry in entries:
        if entry.kind == "say" and entry.text:
            audio += tts(entry.text, entry.attrs.get("language")) + gap
        elif entry.kind == "play" and not entry.attrs.get("digits"):
            played = media(entry.text) if media else None
            if played is not None:
                audio += played.set_frame_rate(SAMPLE_RATE).set_channels(1).set_sample_width(2) + gap
            else:
                audio += Sine(440).to_audio_segment(duration=400, volume=-20).set_frame_rate(SAMPLE_RATE) + gap
        elif entry.kind == "beep":
            audio += Sine(880).to_audio_segment(duration=250, volume=-12).set_frame_rate(SAMPLE_RATE) + gap
        elif entry.kind == "pause":
            audio += AudioSegment.silent(duration=int(entry.attrs.get("seconds", 1) * 1000), frame_rate=SAMPLE_RATE)
        elif entry.kind == "press":
            audio += Sine(697).to_audio_segment(duration=120, volume=-15).set_frame_rate(SAMPLE_RATE) + gap
    audio.set_channels(1).export(str(out_path), format="wav")
    return len(audio) / 1000.0
