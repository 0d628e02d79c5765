"""Where the reports read calls from: the only functions that know how call analytics are stored.

Today a call is a row in `calls` and each step it passed a row in `call_steps`. If that recording
changes, only these functions change; they return bare timestamps and counts, never a call id,
a caller or the path of one call.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ivr.extensions import db
from ivr.calls.models import Call, CallStep

#: What a caller chose, by the flow step that choice leads to (flows/*.toml).
CHOICE_STEPS = {"stories": "stories", "circles": "circles", "shares": "shares", "crisis": "crisis key"}
#: The step every crisis-key press (0 from any menu) passes through.
CRISIS_STEP = "crisis"


def call_starts(start: datetime, end: datetime) -> list[datetime]:
    """When each call in [start, end) began."""
    return list(db.session.execute(
        select(Call.started_at).where(Call.started_at >= start, Call.started_at < end)).scalars())


def choices(start: datetime, end: datetime) -> dict[str, int]:
    """How many calls reached each choice in [start, end) (a call counts once per choice)."""
    rows = db.session.execute(
        select(CallStep.step, func.count(func.distinct(CallStep.call_id)))
        .where(CallStep.step.in_(CHOICE_STEPS), CallStep.at >= start, CallStep.at < end)
        .group_by(CallStep.step)).all()
    found = dict(rows)
    return {label: int(found.get(step, 0)) for step, label in CHOICE_STEPS.items()}


def crisis_presses(start: datetime, end: datetime) -> list[datetime]:
    """When the crisis step was entered in [start, end).

    Entering the step is logged without an outcome; the dial's result is logged again on the same
    step with Twilio's DialCallStatus, so only outcome-less rows are presses.
    """
    return list(db.session.execute(
        select(CallStep.at).where(CallStep.step == CRISIS_STEP, CallStep.outcome.is_(None),
                                  CallStep.at >= start, CallStep.at < end)).scalars())


def call_started_at(call_sids: list[str]) -> dict[str, datetime]:
    """When the calls with these CallSids began (used to time follow-ups from the call)."""
    if not call_sids:
        return {}
    return dict(db.session.execute(
        select(Call.call_sid, Call.started_at).where(Call.call_sid.in_(call_sids))).all())
