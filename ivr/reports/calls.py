"""Where the reports read calls from: the only functions that know how call analytics are stored.

A call is a row in `calls` (when it began and ended); what calls chose and each crisis-key press
are counted per UTC day in `call_tallies` (ivr.calls.tally), never as one call's path. They return
bare timestamps and counts, never a call id, a caller or the path of one call.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ivr.calls import tally as call_tally
from ivr.extensions import db
from ivr.calls.models import Call

#: What a caller chose, by the flow step that choice leads to (flows/*.toml).
CHOICE_STEPS = {"stories": "stories", "circles": "circles", "shares": "shares", "crisis": "crisis key"}


def _days(start: datetime, end: datetime) -> tuple[date, date]:
    """The UTC days a [start, end) range of whole days covers."""
    return start.date(), (end - timedelta(microseconds=1)).date()


def call_starts(start: datetime, end: datetime) -> list[datetime]:
    """When each call in [start, end) began."""
    return list(db.session.execute(
        select(Call.started_at).where(Call.started_at >= start, Call.started_at < end)).scalars())


def choices(start: datetime, end: datetime) -> dict[str, int]:
    """How many calls reached each choice in [start, end) (a call counts once per choice and day)."""
    found = call_tally.totals(list(CHOICE_STEPS), *_days(start, end))
    return {label: found[step] for step, label in CHOICE_STEPS.items()}


def crisis_presses(start: datetime, end: datetime) -> dict[date, int]:
    """Crisis-key presses on each UTC day of [start, end) (days without any are left out)."""
    return call_tally.per_day(call_tally.CRISIS_PRESS, *_days(start, end))


def call_started_at(call_sids: list[str]) -> dict[str, datetime]:
    """When the calls with these CallSids began (used to time follow-ups from the call)."""
    if not call_sids:
        return {}
    return dict(db.session.execute(
        select(Call.call_sid, Call.started_at).where(Call.call_sid.in_(call_sids))).all())


def story_seconds(start: datetime, end: datetime) -> int:
    """Seconds of story audio played in [start, end), all stories and calls together."""
    return call_tally.totals([call_tally.STORY_SECONDS], *_days(start, end))[call_tally.STORY_SECONDS]
