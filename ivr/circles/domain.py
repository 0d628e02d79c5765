"""Circles: the only place a circle, its facilitators or a meeting (session) changes state.

The roster of a meeting changes in ivr/circles/roster.py.
"""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ivr.circles import schedule
from ivr.extensions import db
from ivr.models.base import utcnow
from ivr.circles.models import (TWILIO_MAX_PARTICIPANTS, Circle, CircleCall, CircleFacilitator, CircleParticipant, CircleSession)

log = logging.getLogger(__name__)
_hasher = PasswordHasher()

#: A caller who left the conference leg for the star menu keeps their place this long.
MENU_GRACE = timedelta(minutes=10)
#: An admitted caller whose join callback has not arrived yet keeps their place this long.
JOIN_GRACE = timedelta(minutes=2)
#: A meeting nobody ended (no conference ever started) is forgotten after this long.
STALE_SESSION = timedelta(hours=6)
#: New facilitators choose 6 to 8 digits (older 4-digit PINs still verify).
PIN_DIGITS = (6, 8)


class CircleError(ValueError):
    """Raised for invalid circle settings (cap, PIN, schedule)."""


# ---- circles and facilitators -------------------------------------------------------------

def create_circle(*, number: int, name: str, days: str, start_time: str, timezone_name: str = "UTC",
                  topic: str = "", language: str = "en", duration_min: int = 60, cap: int = 12,
                  participant_muted_default: bool = True) -> Circle:
    """Create a circle with a weekly schedule; validates the zone, days, time and cap."""
    if not 2 <= cap <= TWILIO_MAX_PARTICIPANTS:
        raise CircleError(f"cap must be between 2 and {TWILIO_MAX_PARTICIPANTS}")
    if not 1 <= number <= 9999:
        raise CircleError("circle number must be 1 to 9999")
    if duration_min < 5:
        raise CircleError("a circle lasts at least 5 minutes")
    try:
        schedule.zone(timezone_name)
        circle = Circle(number=number, name=name, topic=topic, language=language, timezone=timezone_name,
                        days=schedule.parse_days(days), start_time=schedule.parse_time(start_time),
                        duration_min=duration_min, cap=cap, participant_muted_default=participant_muted_default,
                        locked=False, status="active")
    except schedule.ScheduleError as exc:
        raise CircleError(str(exc)) from exc
    db.session.add(circle)
    db.session.flush()
    return circle


def update_circle(circle: Circle, **changes) -> Circle:
    """Change a circle's settings (name, topic, language, days, start_time, timezone_name,
    duration_min, cap, participant_muted_default), validated like create_circle; all or nothing."""
    allowed = {"name", "topic", "language", "days", "start_time", "timezone_name", "duration_min", "cap",
               "participant_muted_default"}
    unknown = set(changes) - allowed
    if unknown:
        raise CircleError(f"unknown circle settings: {', '.join(sorted(unknown))}")
    cap = int(changes.get("cap", circle.cap))
    duration = int(changes.get("duration_min", circle.duration_min))
    if not 2 <= cap <= TWILIO_MAX_PARTICIPANTS:
        raise CircleError(f"cap must be between 2 and {TWILIO_MAX_PARTICIPANTS}")
    if duration < 5:
        raise CircleError("a circle lasts at least 5 minutes")
    try:
        zone_name = changes.get("timezone_name", circle.timezone)
        schedule.zone(zone_name)
        days = schedule.parse_days(changes["days"]) if "days" in changes else circle.days
        start = schedule.parse_time(changes["start_time"]) if changes.get("start_time") else circle.start_time
    except schedule.ScheduleError as exc:
        raise CircleError(str(exc)) from exc
    if not (changes.get("name", circle.name) or "").strip():
        raise CircleError("a circle needs a name")
    circle.name = (changes.get("name") or circle.name).strip()
    circle.topic = changes.get("topic", circle.topic)
    circle.language = changes.get("language", circle.language)
    circle.participant_muted_default = bool(changes.get("participant_muted_default",
                                                        circle.participant_muted_default))
    circle.timezone, circle.days, circle.start_time = zone_name, days, start
    circle.duration_min, circle.cap = duration, cap
    db.session.flush()
    return circle


def add_facilitator(circle: Circle, label: str, pin: str, staff_user_id: int | None = None) -> CircleFacilitator:
    """Assign a facilitator to a circle with a keypad PIN (stored only as an argon2 hash)."""
    low, high = PIN_DIGITS
    if not (pin.isdigit() and low <= len(pin) <= high):
        raise CircleError(f"a PIN is {low} to {high} digits")
    facilitator = CircleFacilitator(circle_id=circle.id, label=label, pin_hash=_hasher.hash(pin),
                                    staff_user_id=staff_user_id, active=True)
    db.session.add(facilitator)
    db.session.flush()
    return facilitator


def verify_facilitator(circle: Circle, pin: str) -> CircleFacilitator | None:
    """The active facilitator of this circle whose PIN this is, or None."""
    if not pin.isdigit():
        return None
    found = None
    rows = db.session.execute(select(CircleFacilitator).filter_by(circle_id=circle.id, active=True)).scalars()
    for facilitator in rows:
        try:
            _hasher.verify(facilitator.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            continue
        if _hasher.check_needs_rehash(facilitator.pin_hash):
            facilitator.pin_hash = _hasher.hash(pin)
        found = found or facilitator
    return found


def get_circle(circle_id: int | None, *, facilitated_by: int | None = None) -> Circle:
    """The circle with this id; aborts with 404 if there is none, or if `facilitated_by` (a staff
    user id) is given and that person is not actively assigned to it."""
    circle = db.session.get(Circle, circle_id) if circle_id else None
    if circle is None or (facilitated_by is not None and circle.id not in circle_ids_facilitated_by(facilitated_by)):
        abort(404)
    return circle


def circle_ids_facilitated_by(staff_user_id: int) -> set[int]:
    """Ids of the circles this staff member is actively assigned to facilitate."""
    return set(db.session.execute(
        select(CircleFacilitator.circle_id).filter_by(staff_user_id=staff_user_id, active=True)).scalars())


def all_circles(*, facilitated_by: int | None = None) -> list[Circle]:
    """Every circle by number (or only those `facilitated_by` this staff user id), whatever its status."""
    query = select(Circle).order_by(Circle.number)
    if facilitated_by is not None:
        query = query.where(Circle.id.in_(circle_ids_facilitated_by(facilitated_by) or {-1}))
    return list(db.session.execute(query).scalars())


def active_facilitators(circle: Circle) -> list[CircleFacilitator]:
    """The circle's active facilitator assignments, oldest first."""
    return list(db.session.execute(select(CircleFacilitator).filter_by(circle_id=circle.id, active=True)
                                   .order_by(CircleFacilitator.id)).scalars())


def find_circle(number: int | str | None) -> Circle | None:
    """The active circle with this keypad number, or None."""
    try:
        value = int(str(number))
    except (TypeError, ValueError):
        return None
    return db.session.execute(select(Circle).filter_by(number=value, status="active")).scalar_one_or_none()


def active_circles(language: str | None = None) -> list[Circle]:
    """Active circles (in one language, if given), by number."""
    query = select(Circle).filter_by(status="active").order_by(Circle.number)
    if language:
        query = query.filter_by(language=language)
    return list(db.session.execute(query).scalars())


def set_listen_first(circle: Circle, muted_on_join: bool) -> None:
    """Whether participants join muted ("listen first", the default) or unmuted."""
    circle.participant_muted_default = muted_on_join


def set_circle_lock(circle: Circle, locked: bool) -> None:
    """An admin's lock: nobody but facilitators can join any meeting of the circle."""
    circle.locked = locked


# ---- per-call state --------------------------------------------------------------------------

def call_state(call_sid: str) -> CircleCall:
    """This call's circle state, created on first use (webhook retries are harmless)."""
    state = db.session.execute(select(CircleCall).filter_by(call_sid=call_sid)).scalar_one_or_none()
    if state is None:
        state = CircleCall(call_sid=call_sid, pin_failures=0)
        db.session.add(state)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            state = db.session.execute(select(CircleCall).filter_by(call_sid=call_sid)).scalar_one()
    return state


def choose_circle(call_sid: str, circle: Circle | None) -> None:
    """Remember which circle this call is dealing with; forget any facilitator login."""
    state = call_state(call_sid)
    if state.circle_id != (circle.id if circle else None):
        state.facilitator_id = None
    state.circle_id = circle.id if circle else None


def registered_facilitator_phone(circle: Circle, caller) -> bool:
    """True when this caller's number (by HMAC) is registered to an active facilitator of the circle."""
    if caller is None:
        return False
    return db.session.execute(
        select(CircleFacilitator.id).filter_by(circle_id=circle.id, active=True, phone_hash=caller.number_hash).limit(1)
    ).first() is not None


def register_facilitator_phone(facilitator: CircleFacilitator, number_hash: str | None) -> None:
    """Register (or, with None, forget) the HMAC of the facilitator's own phone."""
    facilitator.phone_hash = number_hash


def log_in_facilitator(call_sid: str, facilitator: CircleFacilitator) -> None:
    """Mark this call as the facilitator's (after the PIN was verified)."""
    state = call_state(call_sid)
    state.facilitator_id = facilitator.id
    state.circle_id = facilitator.circle_id


def keep_first_name(call_sid: str, recording_sid: str | None, recording_url: str | None) -> None:
    """Keep Twilio's id and URL of the caller's 2-second first name (roll call only)."""
    state = call_state(call_sid)
    state.name_recording_sid = (recording_sid or "")[:64] or None
    state.name_recording_url = (recording_url or "")[:500] or None
    participant = participant_of_call(call_sid)
    if participant is not None:
        participant.name_recording_sid = state.name_recording_sid
        participant.name_recording_url = state.name_recording_url


# ---- meetings (sessions) ---------------------------------------------------------------------

def current_session(circle: Circle) -> CircleSession | None:
    """The circle's meeting that has not ended (waiting or live), if any."""
    since = utcnow() - STALE_SESSION
    return db.session.execute(
        select(CircleSession).where(CircleSession.circle_id == circle.id, CircleSession.status != "ended",
                                    CircleSession.created_at > since)
        .order_by(CircleSession.id.desc()).limit(1)
    ).scalar_one_or_none()


def find_session(session_id: int | None) -> CircleSession | None:
    """The meeting with this id, if any."""
    return db.session.get(CircleSession, session_id) if session_id else None


def get_session(session_id: int | None) -> CircleSession:
    """The meeting with this id; aborts with 404 if there is none."""
    session = find_session(session_id)
    if session is None:
        abort(404)
    return session


def open_session(circle: Circle) -> CircleSession:
    """The circle's current meeting, or a new one under a fresh opaque conference name."""
    session = current_session(circle)
    if session is None:
        session = CircleSession(circle_id=circle.id, conference_name="pl-" + secrets.token_hex(8),
                                status="waiting", locked=False, last_sequence=0, rules_announced=False)
        db.session.add(session)
        db.session.flush()
    return session


def session_for_conference(friendly_name: str | None, conference_sid: str | None) -> CircleSession | None:
    """The meeting a conference callback is about (by our opaque name, else Twilio's sid)."""
    if friendly_name:
        found = db.session.execute(select(CircleSession).filter_by(conference_name=friendly_name)).scalar_one_or_none()
        if found:
            return found
    if conference_sid:
        return db.session.execute(select(CircleSession).filter_by(conference_sid=conference_sid)).scalar_one_or_none()
    return None


def live_sessions() -> list[CircleSession]:
    """Meetings not yet ended (waiting or live), newest first (for the staff console)."""
    since = utcnow() - STALE_SESSION
    return list(db.session.execute(
        select(CircleSession).where(CircleSession.status != "ended", CircleSession.created_at > since)
        .order_by(CircleSession.id.desc())
    ).scalars())


def set_session_lock(session: CircleSession, locked: bool) -> None:
    """The facilitator's lock for this meeting: no new participants while locked."""
    session.locked = locked


def start_from_console(circle: Circle) -> CircleSession:
    """Staff start the meeting from the console: callers entering start the conference, no PIN needed."""
    session = open_session(circle)
    session.staff_started = True
    return session


def is_live(session: CircleSession | None) -> bool:
    """True once the facilitator has started the conference and until it ends."""
    return session is not None and session.status == "live"


def participant_of_call(call_sid: str) -> CircleParticipant | None:
    """The call's roster row in its most recent meeting, if any."""
    return db.session.execute(select(CircleParticipant).filter_by(call_sid=call_sid)
                              .order_by(CircleParticipant.id.desc()).limit(1)).scalar_one_or_none()
