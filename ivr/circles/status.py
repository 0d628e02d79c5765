"""Is a circle open now, and when does it meet next: the one answer the phone, the CLI and the
staff console all give (so none of them can disagree about the same circle at the same moment).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ivr.circles import domain as circles
from ivr.circles import schedule
from ivr.circles.models import Circle


@dataclass(frozen=True)
class CircleStatus:
    """Whether callers may join a circle now, and the meetings to name when they cannot."""

    open: bool                       # callers may join now: its meeting time, or a facilitator has it live
    live: bool                       # the facilitator has started the conference
    meeting: schedule.Meeting        # open: the meeting on now; closed: the next one
    next_time: schedule.Meeting      # for "it meets again ...": the meeting after an open one, else `meeting`


def status_of(circle: Circle, now: datetime | None = None) -> CircleStatus:
    """The circle's status at `now` (default: this moment), from its schedule and its live meeting."""
    now = now or datetime.now(timezone.utc)
    session = circles.current_session(circle)
    live = circles.is_live(session)
    # Staff started it from the console (issue 13): callers may join, and the first one starts it.
    started = live or bool(session is not None and session.staff_started)
    meeting = schedule.current_or_next(circle, now)
    in_window = meeting.is_open(now)
    if in_window or (started and meeting.start - now <= timedelta(minutes=circle.duration_min)):
        # On now (or started early by the facilitator): the next chance is the meeting after it.
        following = schedule.next_meeting(circle, meeting.start)
    else:
        following = meeting  # closed, or live past its end: the next scheduled meeting is the next chance
    return CircleStatus(open=in_window or started, live=live, meeting=meeting, next_time=following)


def staff_text(circle: Circle, now: datetime | None = None) -> str:
    """The status in words for staff (CLI, console): "Open now until Tue 3 Mar 20:00 America/New_York"."""
    now = now or datetime.now(timezone.utc)
    found = status_of(circle, now)
    if found.open and not found.meeting.is_open(now):
        return f"Open now (started by the facilitator); next meeting {_clock(found.next_time.start, circle)}"
    if found.open:
        return f"Open now until {_clock(found.meeting.end, circle)}"
    return f"Next meeting {_clock(found.meeting.start, circle)}"


def _clock(moment: datetime, circle: Circle) -> str:
    local = moment.astimezone(schedule.zone(circle.timezone))
    return f"{local:%a} {local.day} {local:%b %H:%M} {circle.timezone}"
