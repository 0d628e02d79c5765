"""rq job: delete a finished circle's first-name recordings at Twilio and forget them.

First names exist only for the roll call of one meeting; once it has ended nobody needs them.
Idempotent: a recording already gone (404) counts as deleted.
"""
from __future__ import annotations

import logging

from ivr import telephony
from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.extensions import db
from workers import context

log = logging.getLogger(__name__)


def forget_first_names(session_id: int) -> dict[str, int]:
    """Delete each first-name recording of the meeting at Twilio, then forget it; counts per outcome."""
    counts = {"deleted": 0, "kept": 0}
    with context.app_context():
        session = circles.find_session(session_id)
        if session is None:
            return counts
        for sid in circle_roster.first_name_recordings(session):
            try:
                telephony.delete_recording(sid)
            except telephony.TelephonyError as exc:
                if "404" not in str(exc):
                    # Kept for the next run (the sweep or a retry); never silently dropped.
                    log.warning("could not delete first-name recording of session %s: %s", session_id, exc)
                    counts["kept"] += 1
                    continue
            circle_roster.forget_first_name(sid)
            counts["deleted"] += 1
        db.session.commit()
    return counts
