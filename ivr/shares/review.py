"""What a moderator sees of a share: words with timings and confidence, flags, and waiting times.

Read-only views over a share's stored transcript and screening (as the workers write them);
tolerant of older or partial shapes, because a share that failed processing is still reviewed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ivr.models.base import utcnow
from ivr.staff.accounts import aware

LOW_CONFIDENCE = 0.6


@dataclass
class Word:
    """One transcript word as the review page shows it."""

    index: int
    text: str
    start: float | None
    end: float | None
    conf: float | None
    flagged: bool = False
    bleep: bool = False
    flags: list[str] = field(default_factory=list)

    @property
    def low(self) -> bool:
        """Recognition was unsure of this word."""
        return self.conf is not None and self.conf < LOW_CONFIDENCE


@dataclass
class Flag:
    """One screening reason, readable."""

    label: str
    category: str | None = None
    kind: str | None = None
    priority: int | None = None
    start_s: float | None = None
    words: tuple[int, int] | None = None


def _num(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def words(share) -> list[Word]:
    """The share's words, with flagged spans and default bleeps (personal details) marked."""
    transcript = share.transcript or {}
    raw = transcript.get("words", []) if isinstance(transcript, dict) else transcript
    result = []
    for i, item in enumerate(raw or []):
        if isinstance(item, dict):
            text = item.get("text") or item.get("word") or ""
            result.append(Word(i, str(text), _num(item.get("start")), _num(item.get("end")), _num(item.get("conf"))))
        else:
            result.append(Word(i, str(item), None, None, None))
    screening = share.screening if isinstance(share.screening, dict) else {}
    for flag in flags(share):
        if flag.words:
            for w in result[flag.words[0]:flag.words[1]]:
                w.flagged = True
                w.flags.append(flag.label)
                if flag.category == "personal":
                    w.bleep = True
    for span in screening.get("personal_spans") or []:
        try:
            start, end = float(span[0]), float(span[1])
        except (TypeError, ValueError, IndexError):
            continue
        for w in result:
            if w.start is not None and w.end is not None and w.start < end and w.end > start:
                w.bleep = True
    return result


def flags(share) -> list[Flag]:
    """Screening reasons, most urgent first (strings or the screening's reason records)."""
    screening = share.screening if isinstance(share.screening, dict) else {}
    raw = screening.get("reasons") or share.reasons or []
    out = []
    for item in raw:
        if isinstance(item, dict):
            span = item.get("words")
            words_span = (int(span[0]), int(span[1])) if isinstance(span, (list, tuple)) and len(span) == 2 else None
            out.append(Flag(label=str(item.get("label") or item.get("kind") or "flag"), category=item.get("category"),
                            kind=item.get("kind"), priority=item.get("priority"), start_s=_num(item.get("start_s")),
                            words=words_span))
        else:
            out.append(Flag(label=str(item)))
    for note in screening.get("profanity") or []:
        if isinstance(note, dict) and isinstance(note.get("index"), int):
            out.append(Flag(label=f"profanity: {note.get('word', '')}", category="profanity",
                            start_s=_num(note.get("start_s")), words=(note["index"], note["index"] + 1)))
    for reason in screening.get("listening_reasons") or []:
        out.append(Flag(label=f"needs listening: {reason}", category="listening"))
    return out


def reason_labels(share) -> list[str]:
    """Short reasons for the queue list."""
    return [f.label for f in flags(share)][:4]


# What processing wrote (workers/share_pipeline.py, workers/screen.py) -> what a moderator needs to hear.



def waiting_since(share) -> datetime:
    """When the share started waiting for a moderator."""
    return aware(share.queued_at or share.created_at)


def wait_seconds(share, now: datetime | None = None) -> int:
    """How long the share has waited, in seconds."""
    return max(0, int(((now or utcnow()) - waiting_since(share)).total_seconds()))


def human_duration(seconds: int | float | None) -> str:
    """'2 d 3 h', '3 h 5 min', '4 min', '20 s'."""
    if seconds is None:
        return "–"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def bleep_spans(share, indices: list[int]) -> list[tuple[float, float]]:
    """Time spans of the chosen words (words without timings cannot be bleeped and are skipped)."""
    by_index = {w.index: w for w in words(share)}
    spans = []
    for i in sorted(set(indices)):
        w = by_index.get(i)
        if w is not None and w.start is not None and w.end is not None and w.end > w.start:
            spans.append((w.start, w.end))
    return spans


def parse_indices(value: str | None, limit: int) -> list[int]:
    """'3,4,17' → [3, 4, 17], ignoring anything that is not a word index."""
    out = []
    for part in (value or "").replace(" ", "").split(","):
        if part.isdigit() and int(part) < limit:
            out.append(int(part))
    return sorted(set(out))
