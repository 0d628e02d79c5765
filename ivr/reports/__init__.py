"""Reports for funders and boards: how the line is used, as aggregates only.

`build(start, end)` reads through `calls` (call analytics) and `sources` (shares, stories,
circles) and returns tables of counts under the small-count rule of `figures`. Nothing here
returns a caller, a number, or the path of one call. Days and hours are UTC.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from ivr.reports import calls, figures, sources
from ivr.reports.figures import Count, Figure

MAX_DAYS = 366


class RangeError(ValueError):
    """The date range asked for cannot be reported on."""


@dataclass
class Table:
    """One table of a report (and the chart drawn from it, if any)."""

    slug: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    chart: str | None = None  # "columns" (a series over days or hours) or "bars" (categories)
    note: str = ""
    chart_col: int = 1  # the column the chart draws
    has_total: bool = False  # the last row is a total, left out of the chart

    def series(self) -> list[tuple[object, Count | Figure]]:
        """(label, figure) pairs the chart draws."""
        rows = self.rows[:-1] if self.has_total else self.rows
        return [(row[0], row[self.chart_col]) for row in rows if isinstance(row[self.chart_col], (Count, Figure))]

    def csv_rows(self) -> list[list[str]]:
        """The header and every row as text, with the small-count rule applied."""
        return [list(self.columns)] + [[_text(cell) for cell in row] for row in self.rows]


@dataclass
class Report:
    """Every table for one date range, grouped in sections."""

    start: date
    end: date
    sections: list[tuple[str, list[Table]]]

    @property
    def tables(self) -> dict[str, Table]:
        """Tables by slug (for CSV downloads)."""
        return {t.slug: t for _, tables in self.sections for t in tables}


def _text(cell) -> str:
    if isinstance(cell, (Count, Figure)):
        return cell.shown
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def parse_range(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """The range from query values (YYYY-MM-DD); the last 30 days by default."""
    today = today or datetime.now(timezone.utc).date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=29)
    except ValueError as exc:
        raise RangeError("Dates must look like 2026-01-31.") from exc
    if first > last:
        raise RangeError("The start date is after the end date.")
    if (last - first).days + 1 > MAX_DAYS:
        raise RangeError(f"Choose at most {MAX_DAYS} days.")
    return first, last


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, the day after end 00:00 UTC)."""
    return (datetime.combine(start, time.min, timezone.utc),
            datetime.combine(end + timedelta(days=1), time.min, timezone.utc))


def build(start: date, end: date, now: datetime | None = None) -> Report:
    """Every table of the report for the days from start to end (inclusive, UTC)."""
    now = now or datetime.now(timezone.utc)
    lo, hi = bounds(start, end)
    return Report(start, end, [
        ("Calls", _calls(start, end, lo, hi)),
        ("Crisis key and crisis-tier shares", _crisis(start, end, lo, hi)),
        ("Voice shares and moderation", _shares(start, end, lo, hi, now)),
        ("Stories", _stories(lo, hi)),
        ("Circles", _circles(lo, hi, now)),
    ])


def _calls(start, end, lo, hi) -> list[Table]:
    starts = calls.call_starts(lo, hi)
    return [
        Table("calls-per-day", "Calls per day", ("Day", "Calls"), figures.per_day(starts, start, end), "columns"),
        Table("calls-by-hour", "Calls by hour of day (UTC)", ("Hour", "Calls"),
              [(f"{h:02d}:00", n) for h, n in figures.per_hour(starts)], "columns"),
        Table("choices", "What callers chose", ("Choice", "Calls"),
              [(label, Count(n)) for label, n in calls.choices(lo, hi).items()], "bars",
              note="A call that chose the same thing twice counts once."),
    ]


def _crisis(start, end, lo, hi) -> list[Table]:
    presses = Table("crisis-per-day", "Crisis-key presses per day", ("Day", "Presses"),
                    figures.per_day_counts(calls.crisis_presses(lo, hi), start, end), "columns")
    crisis = sources.crisis_shares(lo, hi)
    started = calls.call_started_at([s.call_sid for s in crisis if s.call_sid])
    waits = [(figures.aware(s.followed_up_at) - figures.aware(started.get(s.call_sid) or s.created_at)).total_seconds()
             for s in crisis if s.followed_up_at is not None]
    received, done = Count(len(crisis)), Count(len(waits))
    done_shown, open_shown = figures.guard_parts(received, [done, Count(len(crisis) - len(waits))])
    followed = Table("crisis-follow-up", "Crisis-tier shares and follow-up", ("Figure", "Value"), [
        ("Crisis-tier shares received", received),
        ("Followed up", done_shown),
        ("Not followed up yet", open_shown),
        ("Time from the call to follow-up: median", figures.median_duration(waits)),
        ("Time from the call to follow-up: 90th percentile", figures.percentile_duration(waits, 90)),
    ])
    return [presses, followed]


def _shares(start, end, lo, hi, now) -> list[Table]:
    received = Table("shares-per-day", "Voice shares received per day", ("Day", "Shares"),
                     figures.per_day(sources.shares_received(lo, hi), start, end), "columns")
    waits = [(figures.aware(decided) - figures.aware(queued)).total_seconds()
             for queued, decided in sources.review_waits(lo, hi)]
    review = Table("review-time", "Time to first review", ("Figure", "Value"), [
        ("Shares reviewed", Count(len(waits))),
        ("Median time from the queue to a decision", figures.median_duration(waits)),
        ("90th percentile", figures.percentile_duration(waits, 90)),
    ])
    spans = sources.queue_spans(min(hi, now))
    sizes = []
    for day in figures.days(start, end):
        moment = min(bounds(day, day)[1], now)
        n = sum(1 for queued, left in spans
                if figures.aware(queued) < moment and (left is None or figures.aware(left) >= moment))
        sizes.append((day, Count(n)))
    queue = Table("queue-size", "Shares waiting in the queue at the end of each day", ("Day", "Waiting"), sizes,
                  "columns", note="Today's figure is the queue now.")
    return [received, review, queue]


def _stories(lo, hi) -> list[Table]:
    rows = [(topic, Count(published), Count(plays), Count(helped))
            for topic, published, plays, helped in sources.stories_by_topic()]
    return [_time_in_stories(lo, hi), Table("stories-by-topic", "Stories played and “this helped me” per topic",
                  ("Topic", "Stories published now", "Plays", "“This helped me”"), rows, "bars", chart_col=2,
                  note="Plays and “this helped me” are counted without dates, so no call can be tied to a story: "
                       "these are totals since each story was published, whatever the dates chosen.")]


def _time_in_stories(lo, hi) -> Table:
    """Minutes of stories played, shown only when enough calls chose stories to name nobody."""
    calls_in_stories = Count(calls.choices(lo, hi)["stories"])
    minutes = round(calls.story_seconds(lo, hi) / 60)
    shown = (Figure(f"{minutes} min") if calls_in_stories.n >= figures.SMALL
             else Figure(f"not shown ({figures.FEWER} calls)" if calls_in_stories.n else "none",
                         hidden=bool(calls_in_stories.n)))
    return Table("time-in-stories", "Time in stories", ("Figure", "Value"), [
        ("Calls that chose stories", calls_in_stories),
        ("Minutes of stories played (all topics together)", shown),
    ], note="Counted per day for all stories together, never per story or per call.")


def _circles(lo, hi, now) -> list[Table]:
    held = sources.meetings(lo, hi)
    sent = sources.reminders_sent(lo, hi)
    names = sorted({m.circle for m in held} | set(sent))
    rows = []
    for name in names:
        mine = [m for m in held if m.circle == name]
        minutes = sum(((figures.aware(m.ended_at or now) - figures.aware(m.started_at)).total_seconds() / 60)
                      for m in mine)
        rows.append((name, Count(len(mine)), figures.median_count([m.participants for m in mine]),
                     Count(int(round(minutes))), Count(sent.get(name, 0))))
    total_minutes = sum((figures.aware(m.ended_at or now) - figures.aware(m.started_at)).total_seconds() / 60
                        for m in held)
    total = ("All circles", Count(len(held)), figures.median_count([m.participants for m in held]),
             Count(int(round(total_minutes))), Count(sum(sent.values())))
    # A column's total must not let a hidden circle's figure be worked out by subtraction.
    for col in (1, 3, 4):
        guarded = figures.guard_parts(total[col], [row[col] for row in rows])
        rows = [row[:col] + (value,) + row[col + 1:] for row, value in zip(rows, guarded)]
    rows.append(total)
    return [Table("circles", "Circles: meetings held, callers per meeting, minutes and reminders sent",
                  ("Circle", "Meetings held", "Callers per meeting (median)", "Minutes", "Reminders sent"),
                  rows, "bars", note="Facilitators are not counted as callers. The chart shows meetings held.",
                  has_total=True)]
