"""What the reports read about shares, stories and circles: plain rows of timestamps and counts.

No function here returns a caller, a number, a share's words or anything that names one call.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from ivr.extensions import db
from ivr.circles.models import Circle, CircleParticipant, CircleReminder, CircleSession
from ivr.shares.models import Share
from ivr.stories.models import Story, Topic

#: Shares that were never handed to moderators: the caller threw the recording away at once.
NOT_RECEIVED = ("discarded",)
WAITING = ("queued", "needs_listening")


def shares_received(start: datetime, end: datetime) -> list[datetime]:
    """When each share received in [start, end) arrived."""
    return list(db.session.execute(
        select(Share.created_at).where(Share.created_at >= start, Share.created_at < end,
                                       Share.status.not_in(NOT_RECEIVED))).scalars())


def review_waits(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """(entered the queue, decided) for each share a moderator decided in [start, end)."""
    rows = db.session.execute(
        select(Share.queued_at, Share.created_at, Share.decided_at)
        .where(Share.decided_at >= start, Share.decided_at < end)).all()
    return [(queued or created, decided) for queued, created, decided in rows]


def queue_spans(end: datetime) -> list[tuple[datetime, datetime | None]]:
    """(entered the queue, left it or None while waiting) for each share queued before `end`.

    A share withdrawn or deleted while waiting has no recorded leaving time and is left out.
    """
    rows = db.session.execute(
        select(Share.queued_at, Share.decided_at, Share.status)
        .where(Share.queued_at.is_not(None), Share.queued_at < end,
               or_(Share.decided_at.is_not(None), Share.status.in_(WAITING)))).all()
    return [(queued, decided) for queued, decided, _ in rows]


@dataclass(frozen=True)
class CrisisShare:
    """A crisis-tier share's timing: when it arrived, its call, and when staff followed up."""

    created_at: datetime
    call_sid: str | None
    followed_up_at: datetime | None


def crisis_shares(start: datetime, end: datetime) -> list[CrisisShare]:
    """Crisis-tier shares received in [start, end)."""
    rows = db.session.execute(
        select(Share.created_at, Share.call_sid, Share.followed_up_at)
        .where(Share.tier == "crisis", Share.created_at >= start, Share.created_at < end,
               Share.status.not_in(NOT_RECEIVED))).all()
    return [CrisisShare(*row) for row in rows]


def stories_by_topic() -> list[tuple[str, int, int, int]]:
    """(topic, stories published now, plays, "helped") per topic; the counters carry no dates."""
    rows = db.session.execute(
        select(Topic.slug, Topic.names, Story.published_at, Story.unpublished_at, Story.audio_key,
               Story.plays, Story.helped)
        .join(Story, Story.topic_id == Topic.id, isouter=True).order_by(Topic.position, Topic.key)).all()
    topics: dict[str, list] = {}
    for slug, names, published_at, unpublished_at, audio_key, plays, helped in rows:
        name = (names or {}).get("en") or slug
        entry = topics.setdefault(name, [0, 0, 0])
        if published_at is not None and unpublished_at is None and audio_key:
            entry[0] += 1
        entry[1] += plays or 0
        entry[2] += helped or 0
    return [(name, *counts) for name, counts in topics.items()]


@dataclass(frozen=True)
class Meeting:
    """One circle meeting: its circle, when it ran and how many callers joined (facilitators not counted)."""

    circle: str
    started_at: datetime
    ended_at: datetime | None
    participants: int


def meetings(start: datetime, end: datetime) -> list[Meeting]:
    """Circle meetings that started in [start, end)."""
    joined = (select(CircleParticipant.session_id, func.count(CircleParticipant.id).label("n"))
              .where(CircleParticipant.role == "participant", CircleParticipant.joined_at.is_not(None))
              .group_by(CircleParticipant.session_id).subquery())
    rows = db.session.execute(
        select(Circle.number, Circle.name, CircleSession.started_at, CircleSession.ended_at, joined.c.n)
        .join(Circle, Circle.id == CircleSession.circle_id)
        .join(joined, joined.c.session_id == CircleSession.id, isouter=True)
        .where(CircleSession.started_at >= start, CircleSession.started_at < end)).all()
    return [Meeting(f"{number} · {name}", started, ended, int(n or 0)) for number, name, started, ended, n in rows]


def reminders_sent(start: datetime, end: datetime) -> dict[str, int]:
    """Reminders sent in [start, end), per circle."""
    rows = db.session.execute(
        select(Circle.number, Circle.name, func.count(CircleReminder.id))
        .join(Circle, Circle.id == CircleReminder.circle_id)
        .where(CircleReminder.status == "sent", CircleReminder.sent_at >= start, CircleReminder.sent_at < end)
        .group_by(Circle.number, Circle.name)).all()
    return {f"{number} · {name}": int(n) for number, name, n in rows}
