"""rq jobs for circle reminders: a call or a text shortly before a circle meets.

`send_reminder(reminder_id)` is scheduled by ivr.reminders for the reminder's time (rq's
scheduler); `send_due()` sends whatever is due and is run by `peerline circles remind` (cron, or
when there is no Redis). Both are idempotent: a reminder is claimed atomically before sending and
is sent at most once. The decrypted number lives only in memory here and is never logged.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from ivr import jobs, telephony
from ivr.circles import reminders
from ivr.circles import schedule
from ivr.extensions import db
from workers import context

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def send_reminder(reminder_id: int) -> str:
    """Place the reminder call (or send the text) for one reminder; returns what happened."""
    with context.app_context() as app:
        reminder = reminders.get(reminder_id)
        if reminder is None:
            return "gone"
        now = datetime.now(timezone.utc)
        if _aware(reminder.meeting_at) <= now:
            if reminder.status == "pending":
                reminders.mark_attempt_failed(reminder, give_up=True)
                db.session.commit()
            return "too late"
        if not reminders.claim(reminder_id):
            db.session.rollback()
            return f"skipped ({reminder.status})"
        db.session.commit()
        db.session.refresh(reminder)
        number = reminders.number_for(reminder)
        if number is None:
            reminders.mark_attempt_failed(reminder, give_up=True)
            db.session.commit()
            return "no number"
        base = app.config["PUBLIC_BASE_URL"]
        try:
            if reminder.channel == "sms":
                prompts = app.extensions["peerline.flows"].prompts
                circle = reminder.circle
                when = schedule.spoken_when(_aware(reminder.meeting_at).astimezone(schedule.zone(circle.timezone)),
                                            reminder.language, prompts, now)
                body = prompts.text("circle_reminder_sms", reminder.language, name=circle.name, when=when,
                                    line=app.config["TWILIO_NUMBER"])
                telephony.send_sms(number, body)
                sid = None
            else:
                sid = telephony.create_call(number, f"{base}/voice/circles/reminder?r={reminder.id}")
        except telephony.TelephonyError as exc:
            give_up = exc.transient is False or (reminder.attempts or 0) + 1 >= MAX_ATTEMPTS
            reminders.mark_attempt_failed(reminder, give_up=give_up)
            if not give_up:
                reminders.release(reminder)
            db.session.commit()
            log.warning("reminder %s: %s (%s)", reminder.id, exc, "gave up" if give_up else "will retry")
            if not give_up:
                jobs.retry_reminder_later(reminder.id)  # without Redis, `peerline circles remind` (cron) does
            return "failed" if give_up else "retrying"
        reminders.mark_sent(reminder, sid)
        db.session.commit()
        return "sent"


def send_due() -> dict[str, int]:
    """Send every reminder whose time has come; returns a count per outcome."""
    with context.app_context():
        ids = [r.id for r in reminders.due()]
    counts: dict[str, int] = {}
    for reminder_id in ids:
        outcome = send_reminder(reminder_id).split(" ")[0]
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
