"""Speech to text with Vosk: find and load a model, turn 16 kHz mono s16 PCM into timed words.

Importing this module is cheap: vosk is imported only when a model is loaded, so the web process
and the CLI can use the data types without pulling in Kaldi.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # pragma: no cover
    import vosk

DEFAULT_SAMPLE_RATE = 16_000
# Small chunks let rq's timeout signal land between AcceptWaveform calls.
DEFAULT_CHUNK_S = 0.5
_LANG = re.compile(r"[a-z]{2,3}(?:_[a-z0-9]{2,8})*")


class TranscribeError(ValueError):
    """Transcription cannot proceed: bad input audio or an unusable model."""


class ModelNotFoundError(TranscribeError):
    """No usable Vosk model where one was expected."""


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span (seconds from the start) and confidence 0..1."""

    text: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Transcript:
    """Recognised words in order, their text joined by spaces, and their mean confidence."""

    words: tuple[Word, ...]
    text: str
    mean_conf: float

    @classmethod
    def from_words(cls, words: list[Word] | tuple[Word, ...]) -> "Transcript":
        """Build a transcript from words, deriving text and mean confidence."""
        words = tuple(words)
        mean = sum(w.conf for w in words) / len(words) if words else 0.0
        return cls(words=words, text=" ".join(w.text for w in words), mean_conf=mean)

    @property
    def is_empty(self) -> bool:
        """True when nothing was recognised."""
        return not self.words


def model_path_for(lang: str, env: Mapping[str, str] | None = None) -> str:
    """Resolve a language's model directory: $VOSK_MODEL_<LANG>, else an installed vosk_model_<lang>."""
    code = lang.strip().lower().replace("-", "_")
    if not _LANG.fullmatch(code):
        raise ValueError(f"not a language code: {lang!r}")
    variable = f"VOSK_MODEL_{code.upper()}"
    env = os.environ if env is None else env
    configured = (env.get(variable) or "").strip()  # None: the config table names it but it is unset
    if configured:
        if not os.path.isdir(configured):
            raise ModelNotFoundError(f"{variable}={configured!r} is not a directory")
        return configured
    package = f"vosk_model_{code}"
    # find_spec locates the package without importing it, so resolving stays cheap.
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.origin:
        path = os.path.join(os.path.dirname(spec.origin), "model")
        if os.path.isdir(path):
            return path
    raise ModelNotFoundError(
        f"no Vosk model for {lang!r}: set {variable} to a model directory or install {package.replace('_', '-')}"
    )


def load_model(path: str | os.PathLike[str], *, log_level: int = -1) -> "vosk.Model":
    """Load a Vosk model from a directory after checking it looks like one."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise ModelNotFoundError(f"Vosk model directory not found: {path}")
    if not any(os.path.isfile(os.path.join(path, *parts)) for parts in (("am", "final.mdl"), ("final.mdl",))):
        raise ModelNotFoundError(f"{path} does not look like a Vosk model (no am/final.mdl)")
    # Imported here, not at the top: only a process that loads a model pays for Kaldi (workers that
    # never transcribe, the sweep and `peerline screen` import this module for its types alone).
    import vosk

    # Kaldi otherwise logs every load step to stderr, drowning the worker's own logs.
    vosk.SetLogLevel(log_level)
    try:
        return vosk.Model(path)
    except Exception as exc:  # vosk raises a bare Exception on a broken model
        raise ModelNotFoundError(f"Vosk could not load the model at {path}: {exc}") from exc


def transcribe(
    model: "vosk.Model",
    pcm16k_bytes: bytes,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    *,
    chunk_s: float = DEFAULT_CHUNK_S,
) -> Transcript:
    """Recognise mono s16 PCM with per-word timings and confidences."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float)):
        raise TranscribeError(f"sample_rate must be a number, not {sample_rate!r}")
    # Vosk's AcceptWaveform loops forever on a rate <= 0.
    if not math.isfinite(sample_rate) or sample_rate <= 0:
        raise TranscribeError(f"sample_rate must be positive, got {sample_rate}")
    if not 0 < chunk_s <= 10:
        raise ValueError("chunk_s must be in (0, 10]")
    pcm = bytes(pcm16k_bytes)
    if len(pcm) % 2:
        raise TranscribeError("PCM must be whole 16-bit samples (odd byte count)")
    if not pcm:
        return Transcript.from_words(())

    import vosk  # here, not at the top: see load_model

    recogniser = vosk.KaldiRecognizer(model, float(sample_rate))
    recogniser.SetWords(True)
    chunk = max(2, int(sample_rate * chunk_s) * 2)
    words: list[Word] = []
    for offset in range(0, len(pcm), chunk):
        if recogniser.AcceptWaveform(pcm[offset: offset + chunk]):
            words.extend(_words(recogniser.Result()))
    words.extend(_words(recogniser.FinalResult()))
    return Transcript.from_words(words)


def _words(result_json: str) -> list[Word]:
    result: dict[str, Any] = json.loads(result_json)
    return [
        Word(text=str(item["word"]), start=float(item["start"]), end=float(item["end"]), conf=float(item.get("conf", 0.0)))
        for item in result.get("result", ())
    ]


__all__ = ["ModelNotFoundError", "Transcript", "TranscribeError", "Word", "load_model", "model_path_for", "transcribe"]
