"""Twilio's recordingStatusCallback for voice shares: signed, idempotent, persists the share first."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, request
from werkzeug.exceptions import HTTPException

from ivr import database, twilio_ids
from ivr.shares import spool as callback_spool
from ivr.shares import drafts as share_drafts
from ivr.shares import domain as shares
from ivr.signing import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("voice_shares", __name__, url_prefix="/voice/shares")
bp.before_request(require_twilio_signature)


@bp.post("/recording")
def recording():
    """Recording completed, absent or failed: one share per RecordingSid, whatever the repeats."""
    if not (twilio_ids.valid("RE", request.form.get("RecordingSid"))
            and twilio_ids.valid("CA", request.form.get("CallSid"), required=False)):
        log.warning("refused a recording callback with a malformed Twilio id")
        abort(400)  # never stored, never spooled: Twilio's own ids always have this shape
    draft = share_drafts.find_draft(request.args.get("d", ""))
    share = shares.receive_from_callback(draft, request.form)
    database.commit()
    if share is not None:
        log.info("recording %s -> share %s (%s)", share.recording_sid, share.id, share.status)
    return ("", 204)


@bp.errorhandler(Exception)
def spool_for_later(exc: Exception):
    """The share could not be persisted: spool the callback for the sweep to replay; 500 only if even that fails."""
    if isinstance(exc, HTTPException) and exc.code < 500:
        return exc
    sid = request.form.get("RecordingSid", "?")
    log.exception("recording callback failed (RecordingSid=%s, draft=%s); spooling it",
                  sid, request.args.get("d", "?"))
    database.rollback()
    try:
        callback_spool.spool(request.args.get("d", ""), request.form)
    except Exception:
        log.exception("could not spool recording callback %s either", sid)
        return ("", 500)  # let Twilio see the failure rather than pretend it was kept
    return ("", 204)
