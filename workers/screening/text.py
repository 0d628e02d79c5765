"""Words as the screening sees them: tokens from transcripts or text, and forgiving comparison."""
from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Iterable, Mapping

from workers.screening.types import Token

FUZZY_RATIO = 0.84

_EDGE_PUNCTUATION = ".,!?;:\"()[]{}<>«»“”‘’…-–—*_/\\"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})


@lru_cache(maxsize=65536)
def key_of(word: str) -> str:
    """The matching form of a word: lowercase, apostrophes and accents dropped ("mí" -> "mi")."""
    return _fold(word.lower().translate(_APOSTROPHES).replace("'", ""))


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    # Recognisers and typists drop Spanish accents unevenly; "ñ" folds too ("manana"), harmlessly.
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))


def tokenise(source: Any) -> list[Token]:
    """Turn plain text, a Transcript, or a list of Vosk-style words into tokens."""
    if source is None:
        return []
    if isinstance(source, str):
        items: Iterable[tuple[str, float, float | None, float | None]] = (
            (word, 1.0, None, None) for word in source.split()
        )
    else:
        if isinstance(source, Mapping):  # a whole Vosk result: {"result": [...], "text": ...}
            source = source.get("result", ())
        items = (_word_fields(word) for word in getattr(source, "words", source))
    tokens: list[Token] = []
    for index, (raw, conf, start, end) in enumerate(items):
        text = _clean(raw)
        if not text or text == "unk":  # Vosk's "[unk]" carries no words to screen
            continue
        # Typed text joins words with hyphens ("self-harm"); e-mail addresses keep theirs.
        if "-" not in text or "@" in text:
            tokens.append(Token(text, key_of(text), conf, start, end, index))
            continue
        for part in text.split("-"):
            if part:
                tokens.append(Token(part, key_of(part), conf, start, end, index))
    return tokens


@lru_cache(maxsize=65536)
def _clean(raw: str) -> str:
    return raw.lower().translate(_APOSTROPHES).strip(_EDGE_PUNCTUATION + "'")


def _word_fields(word: Any) -> tuple[str, float, float | None, float | None]:
    if type(word) is dict:  # Vosk's own shape, the common case: skip the slower ABC checks
        return str(word.get("word", word.get("text", ""))), float(word.get("conf", 1.0)), word.get("start"), word.get("end")
    if isinstance(word, str):
        return word, 1.0, None, None
    if isinstance(word, Mapping):
        text = word.get("word", word.get("text", ""))
        return str(text), float(word.get("conf", 1.0)), word.get("start"), word.get("end")
    return str(word.text), float(getattr(word, "conf", 1.0)), getattr(word, "start", None), getattr(word, "end", None)


@lru_cache(maxsize=65536)
def similarity(heard: str, literal: str) -> float:
    """How closely a heard word matches a listed one: 1.0 exact, 0.0 no match."""
    if heard == literal:
        return 1.0
    # Short words are too easily confused ("the"/"they", "rope"/"robe"): exact only, except a
    # four-letter word may lose or gain a doubled letter ("kil"). A shared first letter is required
    # because recognisers rarely lose a word's onset, while unrelated words often share an ending.
    if len(literal) < 4 or not heard or heard[0] != literal[0]:
        return 0.0
    if len(literal) == 4:
        return 0.85 if _squeeze(heard) == _squeeze(literal) else 0.0
    if abs(len(heard) - len(literal)) > 2:
        return 0.0
    matcher = SequenceMatcher(None, heard, literal, autojunk=False)
    if matcher.real_quick_ratio() < FUZZY_RATIO or matcher.quick_ratio() < FUZZY_RATIO:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= FUZZY_RATIO else 0.0


def _squeeze(word: str) -> str:
    return "".join(ch for i, ch in enumerate(word) if i == 0 or ch != word[i - 1])
