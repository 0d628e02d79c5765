"""Value types of a screening: tiers, tokens, reasons, notes and the result."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any, NamedTuple


class Tier(IntEnum):
    """Screening tiers, ordered: a higher value is more urgent for moderators."""

    CLEAN = 0
    PERSONAL_DETAILS = 1
    NEEDS_LISTENING = 2
    ABUSE = 3
    ELEVATED = 4
    HIGH = 5
    CRISIS = 6

    @property
    def label(self) -> str:
        """Lowercase name for display and JSON."""
        return self.name.lower()

    @property
    def floor(self) -> int:
        """Lowest priority that falls in this tier."""
        return _FLOORS[self]

    @property
    def ceiling(self) -> int:
        """Highest priority that falls in this tier."""
        higher = [t for t in Tier if t > self]
        return _FLOORS[higher[0]] - 1 if higher else 100

    @classmethod
    def for_priority(cls, priority: int) -> "Tier":
        """The tier whose priority band holds this priority."""
        return max((t for t in cls if priority >= _FLOORS[t]), default=cls.CLEAN)


# Priority bands (0-100). Tier and priority never disagree because the tier is read off the band.
_FLOORS = {
    Tier.CLEAN: 0,
    Tier.PERSONAL_DETAILS: 10,
    Tier.NEEDS_LISTENING: 20,
    Tier.ABUSE: 30,
    Tier.ELEVATED: 40,
    Tier.HIGH: 60,
    Tier.CRISIS: 80,
}


class Token(NamedTuple):
    """A word prepared for matching, remembering where it came from (a tuple: cheap to build)."""

    text: str  # as heard, lowercased
    key: str  # matching form: apostrophes dropped ("i'm" -> "im")
    conf: float
    start: float | None
    end: float | None
    index: int  # position in the caller's word list


@dataclass(frozen=True)
class Reason:
    """One finding: what was heard, where, how urgent and how sure."""

    category: str  # "risk", "abuse" or "personal"
    kind: str  # e.g. "plan", "threat", "phone"
    label: str  # human words for moderators
    words: tuple[int, int]  # [start, end) indices into the input words
    start_s: float | None
    end_s: float | None
    text: str  # the words as heard
    priority: int
    certainty: float  # 0..1: recognition confidence times closeness of the match
    modifiers: tuple[str, ...] = ()
    family: str = ""  # the warning-sign family a risk reason belongs to ("ideation", "method", ...)

    def describe(self) -> str:
        """One line for a moderator."""
        family = f" [{self.family}]" if self.family else ""
        line = f"[{self.priority}] {self.category}/{self.kind}{family}: {self.label} - \"{self.text}\""
        if self.start_s is not None and self.end_s is not None:
            line += f" at {self.start_s:.1f}-{self.end_s:.1f} s"
        if self.modifiers:
            line += f" ({'; '.join(self.modifiers)})"
        return line


@dataclass(frozen=True)
class Note:
    """A word worth knowing about before publishing (profanity), not a risk."""

    word: str
    index: int
    start_s: float | None
    end_s: float | None


@dataclass(frozen=True)
class Screening:
    """The result of screening one transcript: a ranking aid, never a publish/reject decision."""

    tier: Tier
    priority: int
    reasons: tuple[Reason, ...]  # most urgent first
    personal_spans: tuple[tuple[float, float], ...]  # seconds to bleep before publishing
    profanity: tuple[Note, ...]
    needs_listening: bool  # the transcript cannot be trusted: a person must listen to the audio
    listening_reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON and the database."""
        data = asdict(self)
        data["tier"] = self.tier.label
        return data
