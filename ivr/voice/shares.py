"""Twilio's recordingStatusCallback for voice shares: signed, idempotent, persists the share first."""
from __future__ import annotations

import logging

from flask import Blueprint, request

from ivr import shares
from ivr.extensions import db
from ivr.models import ShareDraft
from ivr.signing import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("voice_shares", __name__, url_prefix="/voice/shares")
bp.before_request(require_twilio_signature)


@bp.post("/recording")
def recording():
    """Recording completed, absent or failed: one share per RecordingSid, whatever the repeats."""
    draft_id = request.args.get("d", "")
    draft = db.session.get(ShareDraft, int(draft_id)) if draft_id.isdigit() else None
    share = shares.receive_from_callback(draft, request.form)
    db.session.commit()
    if share is not None:
        log.info("recording %s -> share %s (%s)", share.recording_sid, share.id, share.status)
    return ("", 204)


@bp.errorhandler(Exception)
def keep_quiet(exc: Exception):
    """Never a 500 to Twilio; the failure is logged loudly with the RecordingSid to replay it."""
    if getattr(exc, "code", 500) < 500:
        return exc
    log.exception("recording callback failed (RecordingSid=%s, draft=%s)",
                  request.form.get("RecordingSid", "?"), request.args.get("d", "?"))
    db.session.rollback()
    return ("", 204)
