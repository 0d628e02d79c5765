"""Limits on guessing a secret by phone (facilitator PINs, share PINs).

Every try is a row with its own time (ivr.models.guesses), so a limit counts tries by when they
happened. Three layers hold together: a few tries per call (then back to the main menu), a cap
per caller (by their number's HMAC), and an increasing pause per target (circle or share).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ivr.extensions import db
from ivr.models.base import utcnow
from ivr.models.guesses import GuessAttempt

CIRCLE_PIN, SHARE_PIN = "circle_pin", "share_pin"
WINDOW = timedelta(hours=24)
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


@dataclass(frozen=True)
class Limits:
    """How many wrong tries each layer allows; tiers are (wrong tries in the last day, pause)."""

    per_call: int
    target_tiers: tuple[tuple[int, timedelta], ...]
    caller_tiers: tuple[tuple[int, timedelta], ...]


LIMITS = {
    # 3 per call; per circle 10 wrong in a day pause it 15 min after each further wrong try, 20 → 1 h, 30 → 24 h.
    CIRCLE_PIN: Limits(per_call=3,
                       target_tiers=((10, 15 * MINUTE), (20, HOUR), (30, 24 * HOUR)),
                       caller_tiers=((6, HOUR), (12, 24 * HOUR))),
    # 3 per call; per share 5 wrong → 15 min, 10 → 1 h, 15 → 24 h (a lock that always expires).
    SHARE_PIN: Limits(per_call=3,
                      target_tiers=((5, 15 * MINUTE), (10, HOUR), (15, 24 * HOUR)),
                      caller_tiers=((6, HOUR), (12, 24 * HOUR))),
}


def note(kind: str, target_id: int | None, call_sid: str, caller_id: int | None, ok: bool,
         now: datetime | None = None) -> None:
    """Record one try (never the digits tried)."""
    db.session.add(GuessAttempt(kind=kind, target_id=target_id, call_sid=call_sid, caller_id=caller_id,
                                ok=ok, at=now or utcnow()))
    db.session.flush()


def call_failures(kind: str, call_sid: str) -> int:
    """Wrong tries of this kind on this call."""
    return db.session.execute(
        select(func.count(GuessAttempt.id)).filter_by(kind=kind, call_sid=call_sid, ok=False)
    ).scalar_one()


def calls_tries_used(kind: str, call_sid: str) -> bool:
    """True when this call has used all its tries of this kind."""
    return call_failures(kind, call_sid) >= LIMITS[kind].per_call


def target_pause(kind: str, target_id: int, now: datetime | None = None) -> timedelta | None:
    """How long tries at this circle or share are paused (None: not paused)."""
    return _pause(kind, GuessAttempt.target_id == target_id, LIMITS[kind].target_tiers, now)


def caller_pause(kind: str, caller_id: int | None, now: datetime | None = None) -> timedelta | None:
    """How long this caller may not try (None: may try; withheld callers are limited per call)."""
    if caller_id is None:
        return None
    return _pause(kind, GuessAttempt.caller_id == caller_id, LIMITS[kind].caller_tiers, now)


def _pause(kind: str, which, tiers, now: datetime | None) -> timedelta | None:
    now = now or utcnow()
    count, last = db.session.execute(
        select(func.count(GuessAttempt.id), func.max(GuessAttempt.at))
        .where(GuessAttempt.kind == kind, which, GuessAttempt.ok.is_(False), GuessAttempt.at > now - WINDOW)
    ).one()
    pause = None
    for threshold, length in tiers:
        if count >= threshold:
            pause = length
    if pause is None or last is None:
        return None
    if last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=now.tzinfo)
    remaining = last + pause - now
    return remaining if remaining > timedelta(0) else None


def spoken_wait(remaining: timedelta) -> tuple[str, dict]:
    """("minutes", {"minutes": n}) or ("hours", {"hours": n}) for a locked-out message.

    Rounded up and never "1 minute"/"1 hour", so one plural form fits every language.
    """
    minutes = max(2, math.ceil(remaining.total_seconds() / 60))
    if minutes < 120:
        return "minutes", {"minutes": minutes}
    return "hours", {"hours": math.ceil(minutes / 60)}
