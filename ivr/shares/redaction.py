"""Render a share's publishable audio from the original: chosen words bleeped, voice disguised if asked.

The moderator changes the bleeps and hears the result at once; the audio work is ivr.audio's, the
same functions the workers use for the redacted copy.
"""
from __future__ import annotations

from typing import Iterable

from ivr import audio


class RedactionError(RuntimeError):
    """The audio could not be decoded or rendered."""


def render(original: bytes, spans: Iterable[tuple[float, float]], *, disguised: bool) -> bytes:
    """The publishable WAV: bleeped over `spans`, then disguised when the caller asked for it."""
    try:
        segment = audio.bleep(audio.decode(original), list(spans))
        if disguised:
            segment = audio.disguise(segment)
        return audio.export(segment, "wav")
    except audio.AudioError as exc:
        raise RedactionError(str(exc)) from exc
