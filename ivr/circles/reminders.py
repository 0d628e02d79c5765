"""Circle reminders: the only place a reminder request changes state.

To call or text someone back we need their number, and Peerline never stores raw numbers. So a
reminder keeps the number encrypted with Fernet (AES-128-CBC + HMAC, from `cryptography`) under
a key derived from SECRET_KEY with HKDF, and deletes it as soon as the reminder is sent or the
caller opts out. The number is never logged.
"""
from __future__ import annotations

import base64
import logging
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select, update

from ivr import jobs
from ivr.calls import callers
from ivr.circles import status as circle_status
from ivr.extensions import db
from ivr.models.base import utcnow
from ivr.calls.models import Caller
from ivr.circles.models import Circle, CircleReminder
from datetime import timezone

log = logging.getLogger(__name__)

LEAD = timedelta(minutes=10)  # "your circle starts in 10 minutes"
# A claim older than this after the reminder was due means the sending worker died.
STUCK_AFTER = timedelta(minutes=3)


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"peerline circle reminder numbers").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_number(number: str) -> str:
    """The Fernet token of a phone number (normalised first)."""
    return _fernet().encrypt(number.encode()).decode()


def decrypt_number(token: str) -> str | None:
    """The phone number inside a token, or None if it cannot be read (key changed)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def request(circle: Circle, caller: Caller, number: str | None, channel: str, language: str,
            now: datetime | None = None) -> CircleReminder:
    """Ask for a reminder before the circle's next meeting; a repeat request updates the first."""
    if channel not in ("call", "sms"):
        raise ValueError(f"unknown reminder channel {channel!r}")
    cleaned = callers.normalise(number)
    if cleaned is None:
        raise ValueError("a reminder needs the caller's number")
    now = now or utcnow()
    # The next meeting the caller can still come to (the one after a meeting that is open now).
    meeting = circle_status.status_of(circle, now).next_time
    remind_at = max(meeting.start - LEAD, now)
    reminder = db.session.execute(
        select(CircleReminder).filter_by(circle_id=circle.id, caller_id=caller.id, status="pending")
        .where(CircleReminder.meeting_at == meeting.start)
    ).scalar_one_or_none()
    if reminder is None:
        reminder = CircleReminder(circle_id=circle.id, caller_id=caller.id, meeting_at=meeting.start,
                                  remind_at=remind_at, status="pending", opted_out=False, attempts=0)
        db.session.add(reminder)
    reminder.channel = channel
    reminder.language = language
    reminder.number_encrypted = encrypt_number(cleaned)
    db.session.flush()
    _schedule(reminder)
    return reminder


def _schedule(reminder: CircleReminder) -> None:
    """Queue the reminder job for its time (rq's scheduler); without Redis the sweep sends it."""
    try:
        jobs.schedule_reminder(reminder.id, reminder.remind_at)
    except Exception:
        log.exception("could not schedule reminder %s; the sweep will send it", reminder.id)


def get(reminder_id: int | None) -> CircleReminder | None:
    """The reminder with this id, if any."""
    return db.session.get(CircleReminder, reminder_id) if reminder_id else None


def due(now: datetime | None = None) -> list[CircleReminder]:
    """Pending reminders whose time has come and whose meeting has not started."""
    now = now or utcnow()
    rows = db.session.execute(select(CircleReminder).filter_by(status="pending")
                              .where(CircleReminder.remind_at <= now).order_by(CircleReminder.remind_at)).scalars()
    return [r for r in rows if _aware(r.meeting_at) > now]


def claim(reminder_id: int) -> bool:
    """Atomically take a pending reminder for sending (so two workers never send it twice)."""
    result = db.session.execute(
        update(CircleReminder).where(CircleReminder.id == reminder_id, CircleReminder.status == "pending")
        .values(status="sending")
    )
    return result.rowcount == 1


def release_stuck(now: datetime | None = None, stuck_after: timedelta = STUCK_AFTER) -> list[int]:
    """Put back, and send again, reminders a worker claimed and never finished (it died mid-send).

    At-least-once: a worker killed after Twilio accepted the call but before it wrote "sent" means
    a second reminder, which beats none.
    """
    now = now or utcnow()
    rows = db.session.execute(select(CircleReminder).filter_by(status="sending")
                              .where(CircleReminder.remind_at <= now - stuck_after)).scalars()
    released = [r for r in rows if _aware(r.meeting_at) > now]
    for reminder in released:
        reminder.status = "pending"
    db.session.commit()
    for reminder in released:
        jobs.enqueue_stuck_reminder(reminder.id)
    return [r.id for r in released]


def release(reminder: CircleReminder) -> None:
    """Put a claimed reminder back to pending (a transient failure; it will be tried again)."""
    if reminder.status == "sending":
        reminder.status = "pending"


def number_for(reminder: CircleReminder) -> str | None:
    """The number to reach for a pending reminder (decrypted in memory only)."""
    if reminder.status not in ("pending", "sending") or not reminder.number_encrypted:
        return None
    return decrypt_number(reminder.number_encrypted)


def mark_sent(reminder: CircleReminder, call_sid: str | None = None) -> None:
    """The reminder went out: forget the number."""
    reminder.status = "sent"
    reminder.sent_at = utcnow()
    reminder.call_sid = call_sid
    reminder.number_encrypted = None


def mark_attempt_failed(reminder: CircleReminder, give_up: bool) -> None:
    """Count a failed attempt; after the last one, forget the number too."""
    reminder.attempts = (reminder.attempts or 0) + 1
    if give_up:
        reminder.status = "failed"
        reminder.number_encrypted = None


def opt_out(reminder_id: int | None, caller_id: int | None) -> int:
    """Cancel this reminder and every pending one of the same caller; returns how many."""
    reminder = get(reminder_id)
    caller_id = caller_id or (reminder.caller_id if reminder else None)
    query = select(CircleReminder).filter_by(status="pending")
    if caller_id:
        query = query.filter_by(caller_id=caller_id)
    elif reminder is not None:
        query = query.filter_by(id=reminder.id)
    else:
        return 0
    count = 0
    for row in db.session.execute(query).scalars():
        row.status = "opted_out"
        row.opted_out = True
        row.number_encrypted = None
        count += 1
    if reminder is not None:
        reminder.opted_out = True
        reminder.number_encrypted = None
    return count


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
