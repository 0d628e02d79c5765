"""Alerting the on-call moderator about crisis-tier shares: the only place an OncallAlert changes.

One alert per share (a unique key), so a job that runs twice texts once. The SMS names the
share's reference and tier only: no caller number, no transcript (SMS is not private).
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ivr import jobs
from ivr.extensions import db
from ivr.shares.models import OncallAlert, Share
from ivr.models.base import utcnow
from ivr import telephony
from ivr.shares import domain as shares
from ivr.telephony import TelephonyError

log = logging.getLogger(__name__)


def message_for(share: Share) -> str:
    """The SMS text for a share: reference, tier and where to look; nothing the caller said."""
    base = current_app.config["PUBLIC_BASE_URL"]
    return (f"Peerline: crisis-tier voice share {share.reference} (priority {share.priority}) "
            f"is at the top of the moderation queue. Please listen now: {base}/staff/")


def open_alert(share: Share) -> OncallAlert:
    """The share's alert, created pending on first call (safe against a concurrent twin)."""
    existing = _alert_for(share.id)
    if existing is not None:
        return existing
    alert = OncallAlert(share_id=share.id, tier=share.tier or "crisis", status="pending", attempts=0)
    try:
        with db.session.begin_nested():
            db.session.add(alert)
            db.session.flush()
    except IntegrityError:
        alert = _alert_for(share.id)
    return alert


def send(share: Share) -> OncallAlert:
    """Text ONCALL_NUMBER about a share unless already sent; record the outcome (commits).

    Raises TelephonyError for a transient failure so the caller's job can retry.
    """

    alert = open_alert(share)
    if alert.status in ("sent", "unconfigured"):
        return alert
    number = current_app.config["ONCALL_NUMBER"]
    if not number:
        alert.status, alert.error = "unconfigured", "ONCALL_NUMBER is not set"
        db.session.commit()
        log.error("crisis-tier share %s: no ONCALL_NUMBER configured, nobody was texted", share.reference)
        return alert
    alert.attempts = (alert.attempts or 0) + 1
    db.session.commit()
    try:
        sid = telephony.send_sms(number, message_for(share))
    except telephony.TelephonyError as exc:
        alert.status, alert.error = ("pending" if exc.transient else "failed"), str(exc)[:200]
        db.session.commit()
        log.warning("on-call alert for share %s failed (%s): %s", share.reference,
                    "will retry" if exc.transient else "permanent", exc)
        if exc.transient:
            raise
        return alert
    alert.status, alert.sent_at, alert.error = "sent", utcnow(), None
    alert.message_sid = str(sid)[:64] if sid else None
    db.session.commit()
    # The on-call number is staff's, but it is still kept out of the logs with everyone else's.
    log.warning("on-call moderator alerted by SMS about crisis-tier share %s (message %s)",
                share.reference, alert.message_sid)
    return alert


def _alert_for(share_id: int) -> OncallAlert | None:
    return db.session.execute(select(OncallAlert).filter_by(share_id=share_id)).scalar_one_or_none()


def alert(share_id: int) -> None:
    """Text on-call now; if that fails, a job of its own retries it at the queue's front.

    The one way a crisis alert leaves, whether screening or a moderator raised the share:
    sending here rather than enqueueing first keeps the SMS within seconds even when the queue is
    long; the unique alert per share means it is sent once, however often this is called.
    """
    try:
        send(shares.get(share_id))
        return
    except TelephonyError as exc:
        if not exc.transient:
            return  # recorded as failed on the alert; retrying cannot help
    except Exception:
        db.session.rollback()
        log.exception("on-call alert for share %s failed; a retrying job takes over", share_id)
    jobs.enqueue_oncall_alert(share_id)


def status_for(share_id: int) -> str | None:
    """The share's alert status (pending, sent, failed, unconfigured), or None if never raised."""
    found = _alert_for(share_id)
    return found.status if found is not None else None

