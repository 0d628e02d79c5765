"""Call analytics counted in aggregate: one counter per UTC day and event, no per-call rows.

Events: a section a call reached ("stories", "circles", "shares", "crisis"; once per call, the
call's URL state remembers which), every crisis-key press ("crisis_press") and the seconds of
story audio played ("story_seconds", added when a play is counted anyway).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from ivr.calls.call_state import REACHED
from ivr.extensions import db
from ivr.calls.models import CallTally
from ivr.models.base import insert

CRISIS_PRESS = "crisis_press"
STORY_SECONDS = "story_seconds"  # seconds of story audio played (started), all stories together
CRISIS_STEP = "crisis"


def passed(flags: set[str], step: str, outcome: str | None = None, today: date | None = None) -> bool:
    """Count a step a call passed, if analytics need it: a section once per call, every crisis press.

    `flags` is the call's own set (ivr.calls.call_state), which remembers the sections already counted;
    a step logged again with an outcome (the crisis dial's result) is not a new visit.
    True when a count was written.
    """
    if outcome is not None or step not in REACHED:
        return False
    counted = False
    if step == CRISIS_STEP:
        count(CRISIS_PRESS, today)
        counted = True
    if REACHED[step] not in flags:
        flags.add(REACHED[step])
        count(step, today)
        counted = True
    return counted


def count(event: str, today: date | None = None, by: int = 1) -> None:
    """Add `by` to today's counter for an event (one UPSERT statement, committed with the webhook)."""
    day = today or datetime.now(timezone.utc).date()
    stmt = insert(CallTally).values(day=day, event=event, n=by)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["day", "event"],
                                                  set_={"n": CallTally.n + by}))


def per_day(event: str, first: date, last: date) -> dict[date, int]:
    """The counts of one event for each day from first to last (inclusive) that has any."""
    rows = db.session.execute(
        db.select(CallTally.day, CallTally.n).where(CallTally.event == event, CallTally.day >= first,
                                                    CallTally.day <= last)).all()
    return {day: int(n) for day, n in rows}


def totals(events: list[str], first: date, last: date) -> dict[str, int]:
    """The sum of each event's counts over the days from first to last (inclusive)."""
    rows = db.session.execute(
        db.select(CallTally.event, db.func.sum(CallTally.n))
        .where(CallTally.event.in_(events), CallTally.day >= first, CallTally.day <= last)
        .group_by(CallTally.event)).all()
    found = {event: int(n or 0) for event, n in rows}
    return {event: found.get(event, 0) for event in events}
