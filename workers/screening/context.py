"""Helpers shared by the detectors: turning matches into reasons and reading the words around them."""
from __future__ import annotations

from typing import Iterable

from workers.screening.matching import Match, Matcher
from workers.screening.types import Reason, Token

# A first-person subject opens a new clause: context words further back belong to another one
# ("i'm not okay i want to die" is not a negated wish).
CLAUSE_SUBJECTS = frozenset({"i", "im", "ive", "id", "ill", "yo"})
# ...unless a belief verb governs that clause: "i don't think i want to die" is negated.
BELIEF_VERBS = frozenset({"think", "believe", "reckon", "suppose", "guess", "feel", "creo", "pienso"})


def words_before(matcher: Matcher, first: int, window: int) -> list[str]:
    """Keys of up to `window` tokens before position `first`, nearest first, stopping at a new clause."""
    keys: list[str] = []
    for position in range(first - 1, max(-1, first - window - 1), -1):
        key = matcher.keys[position]
        if key in CLAUSE_SUBJECTS:
            if position > 0 and matcher.keys[position - 1] in BELIEF_VERBS:
                continue
            break
        keys.append(key)
    return keys


def unmatched_inside(matcher: Matcher, match: Match) -> list[str]:
    """Keys inside a match that the pattern skipped over rather than named."""
    named = set(match.literal_positions)
    return [matcher.keys[p] for p in range(match.first, match.last + 1) if p not in named]


def negated(matcher: Matcher, match: Match, negators: frozenset[str], window: int) -> bool:
    """True when a negator sits just before the hit, or inside it without being part of the phrase."""
    return any(k in negators for k in (*words_before(matcher, match.first, window), *unmatched_inside(matcher, match)))


def near(spans: Iterable[tuple[int, int]], match: Match, window: int) -> bool:
    """True when any (first, last) token span lies within `window` tokens of the match."""
    return any(last >= match.first - window and first <= match.last + window for first, last in spans)


def certainty(matcher: Matcher, match: Match) -> tuple[float, float]:
    """(certainty, lowest word confidence): closeness of the words times how sure the recogniser was."""
    lowest = min((matcher.tokens[p].conf for p in match.literal_positions), default=1.0)
    return match.closeness * lowest, lowest


def make_reason(
    tokens: list[Token], first: int, last: int, *, category: str, kind: str, label: str,
    priority: int, certainty: float = 1.0, modifiers: tuple[str, ...] = (), family: str = "",
) -> Reason:
    """A reason covering tokens[first..last], reported in the caller's word indices and times."""
    return Reason(
        category=category,
        kind=kind,
        label=label,
        words=(tokens[first].index, tokens[last].index + 1),
        start_s=tokens[first].start,
        end_s=tokens[last].end,
        text=" ".join(t.text for t in tokens[first: last + 1]),
        priority=priority,
        certainty=round(certainty, 3),
        modifiers=modifiers,
        family=family,
    )


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join overlapping or touching (first, last) spans."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
