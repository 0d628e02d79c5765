"""Aggregates for reports, with the small-count rule: a count from 1 to 4 is shown as "fewer than 5".

Nobody can be singled out from a figure: counts under SMALL are hidden (zero is shown: it names
nobody), and a median or percentile drawn from fewer than SMALL rows is not shown at all.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

# One way of writing a duration on every staff page ("3 h 5 min"), the queue's and the reports'.
from ivr.shares.review import human_duration as duration_text

SMALL = 5
FEWER = f"fewer than {SMALL}"


@dataclass(frozen=True)
class Count:
    """A count as reports may show it."""

    n: int

    @property
    def hidden(self) -> bool:
        """True when the count is too small to show."""
        return 0 < self.n < SMALL

    @property
    def shown(self) -> str:
        """'12', '0' or 'fewer than 5'."""
        return FEWER if self.hidden else str(self.n)

    @property
    def plot(self) -> float:
        """The height a chart may draw: a hidden count is drawn as a band, never as its value."""
        return float(SMALL) if self.hidden else float(self.n)

    def __str__(self) -> str:
        return self.shown


@dataclass(frozen=True)
class Figure:
    """A derived figure (a median, a time) that is only shown when drawn from enough rows."""

    text: str
    hidden: bool = False

    @property
    def shown(self) -> str:
        """The figure, or why it is not shown."""
        return self.text

    @property
    def plot(self) -> float:
        """Charts draw a withheld figure as the small-count band."""
        return float(SMALL) if self.hidden else 0.0

    def __str__(self) -> str:
        return self.text


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def days(start: date, end: date) -> list[date]:
    """Every day from start to end, inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def per_day(moments: list[datetime], start: date, end: date) -> list[tuple[date, Count]]:
    """How many moments fall on each UTC day of the range (every day listed, zeros too)."""
    counts = {d: 0 for d in days(start, end)}
    for moment in moments:
        d = aware(moment).astimezone(timezone.utc).date()
        if d in counts:
            counts[d] += 1
    return [(d, Count(n)) for d, n in counts.items()]


def per_day_counts(counts: dict[date, int], start: date, end: date) -> list[tuple[date, Count]]:
    """Counts already kept per UTC day, for each day of the range (every day listed, zeros too)."""
    return [(d, Count(counts.get(d, 0))) for d in days(start, end)]


def per_hour(moments: list[datetime]) -> list[tuple[int, Count]]:
    """How many moments fall in each UTC hour of the day (0-23)."""
    counts = [0] * 24
    for moment in moments:
        counts[aware(moment).astimezone(timezone.utc).hour] += 1
    return [(h, Count(n)) for h, n in enumerate(counts)]


def nearest_rank(values: list[float], pct: float) -> float:
    """The pct-th percentile by the nearest-rank method (a value that occurred)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def median_duration(seconds: list[float]) -> Figure:
    """The median of durations, if there are enough of them."""
    if len(seconds) < SMALL:
        return Figure(f"not shown ({FEWER})" if seconds else "none", hidden=bool(seconds))
    return Figure(duration_text(statistics.median(seconds)))


def percentile_duration(seconds: list[float], pct: float) -> Figure:
    """A nearest-rank percentile of durations, if there are enough of them."""
    if len(seconds) < SMALL:
        return Figure(f"not shown ({FEWER})" if seconds else "none", hidden=bool(seconds))
    return Figure(duration_text(nearest_rank(seconds, pct)))


def median_count(values: list[int]) -> Figure:
    """The median of small counts (people per meeting), itself subject to the small-count rule."""
    if len(values) < SMALL:
        return Figure(f"not shown ({FEWER} meetings)" if values else "none", hidden=bool(values))
    middle = statistics.median(values)
    if 0 < middle < SMALL:
        return Figure(FEWER, hidden=True)
    return Figure(f"{middle:g}")


def guard_parts(total: Count, parts: list[Count]) -> list[Count | Figure]:
    """Parts of a shown total, so that no hidden part can be worked out by subtraction.

    When exactly one part is hidden, the smallest other part is withheld as well (the classic
    secondary suppression): the reader then knows only the sum of two or more small parts.
    """
    hidden = [i for i, p in enumerate(parts) if p.hidden]
    if total.hidden or len(hidden) != 1:
        return list(parts)
    others = [i for i, p in enumerate(parts) if not p.hidden and p.n > 0]
    if not others:
        return list(parts)
    withheld = min(others, key=lambda i: parts[i].n)
    return [Figure("not shown", hidden=True) if i == withheld else p
            for i, p in enumerate(parts)]
