"""When circles meet: the next meeting, whether one is open now, and how to say it aloud.

Schedules are weekly wall-clock times in the circle's own time zone (zoneinfo), so a 7 PM
circle stays at 7 PM across daylight-saving changes. The words ("Tuesday", "at", "PM") come
from audio/circles.prompts.toml; only the arithmetic lives here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.calls.prompts import Prompts

#: Callers may join this long before the start (the waiting room opens early).
EARLY = timedelta(minutes=10)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleError(ValueError):
    """Raised for a schedule that cannot be understood (bad days, time or zone)."""


@dataclass(frozen=True)
class Meeting:
    """One occurrence of a circle: aware start and end datetimes in the circle's zone."""

    start: datetime
    end: datetime

    def is_open(self, now: datetime, early: timedelta = EARLY) -> bool:
        """True from `early` before the start until the end."""
        return self.start - early <= now < self.end


def parse_days(text: str) -> str:
    """Normalise "tue,thu" / "Tuesday Thursday" / "1,3" to the stored form "1,3" (Monday = 0)."""
    found: set[int] = set()
    for part in text.replace(",", " ").split():
        part = part.strip().lower()
        if part.isdigit() and 0 <= int(part) <= 6:
            found.add(int(part))
        elif part[:3] in DAY_NAMES:
            found.add(DAY_NAMES.index(part[:3]))
        else:
            raise ScheduleError(f"not a weekday: {part!r}")
    if not found:
        raise ScheduleError("a circle needs at least one meeting day")
    return ",".join(str(d) for d in sorted(found))


def parse_time(text: str) -> time:
    """"19:00" or "7:30pm" as a time of day."""
    raw = text.strip().lower().replace(" ", "")
    suffix = raw[-2:] if raw[-2:] in ("am", "pm") else ""
    raw = raw[: len(raw) - len(suffix)]
    hours, _, minutes = raw.partition(":")
    try:
        h, m = int(hours), int(minutes or 0)
    except ValueError as exc:
        raise ScheduleError(f"not a time of day: {text!r}") from exc
    if suffix:
        if not 1 <= h <= 12:
            raise ScheduleError(f"not a time of day: {text!r}")
        h = h % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ScheduleError(f"not a time of day: {text!r}")
    return time(h, m)


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA zone name (ScheduleError if unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown time zone {name!r}") from exc


def _days(circle) -> set[int]:
    return {int(d) for d in circle.days.split(",") if d.strip()}


def _meetings_around(circle, now: datetime):
    tz = zone(circle.timezone)
    local = now.astimezone(tz)
    days = _days(circle)
    # From yesterday (a meeting may run past midnight) to eight days on (always one more week).
    for offset in range(-1, 9):
        day: date = local.date() + timedelta(days=offset)
        if day.weekday() in days:
            start = datetime.combine(day, circle.start_time, tzinfo=tz)
            yield Meeting(start, start + timedelta(minutes=circle.duration_min))


def current_or_next(circle, now: datetime | None = None) -> Meeting:
    """The meeting in progress (or about to open), else the next one."""
    now = now or datetime.now(timezone.utc)
    for meeting in _meetings_around(circle, now):
        if now < meeting.end:
            return meeting
    raise ScheduleError("circle has no meeting days")  # unreachable with at least one day


def next_meeting(circle, now: datetime | None = None) -> Meeting:
    """The next meeting that has not started yet."""
    now = now or datetime.now(timezone.utc)
    for meeting in _meetings_around(circle, now):
        if now < meeting.start:
            return meeting
    raise ScheduleError("circle has no meeting days")


def open_now(circle, now: datetime | None = None) -> bool:
    """True when callers may join the circle now (from ten minutes before the start)."""
    now = now or datetime.now(timezone.utc)
    return current_or_next(circle, now).is_open(now)


def spoken_time(at: datetime, language: str, prompts: Prompts) -> str:
    """A clock time as people say it: "7 PM", "7:30 PM", "noon", "7 de la tarde", "2 de la madrugada"."""
    hour12 = at.hour % 12 or 12
    clock = str(hour12) if at.minute == 0 else f"{hour12}:{at.minute:02d}"
    return prompts.text(f"circle_time_{_part_of_day(at)}", language, t=clock)


def _part_of_day(at: datetime) -> str:
    # Noon and midnight have their own words ("12 PM" / "12 de la mañana" mislead); Spanish
    # says "de la noche" until 1 AM and "de la madrugada" before dawn.
    if at.minute == 0 and at.hour in (0, 12):
        return "noon" if at.hour == 12 else "midnight"
    if at.hour == 0:
        return "night"
    if at.hour < 6:
        return "early"
    return "morning" if at.hour < 12 else ("afternoon" if at.hour < 20 else "evening")


def spoken_when(at: datetime, language: str, prompts: Prompts, now: datetime | None = None) -> str:
    """When a meeting starts, said naturally in its own zone: "Tuesday at 7 PM", "today at 7 PM"."""
    now = (now or datetime.now(timezone.utc)).astimezone(at.tzinfo)
    clock = spoken_time(at, language, prompts)
    at_id = "circle_at_one" if at.hour % 12 == 1 else "circle_at"
    at_time = prompts.text(at_id, language, time=clock)
    days_away = (at.date() - now.date()).days
    if days_away == 0:
        return prompts.text("circle_when_today", language, at=at_time)
    if days_away == 1:
        return prompts.text("circle_when_tomorrow", language, at=at_time)
    day = prompts.text(f"circle_day_{at.weekday()}", language)
    template = "circle_when_day" if days_away < 7 else "circle_when_next_week"
    return prompts.text(template, language, day=day, at=at_time)
