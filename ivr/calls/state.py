"""Per-call state keyed by CallSid, kept in the database (inspectable by staff and workers)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ivr.calls import callers
from ivr.calls.engine import CallContext
from ivr.extensions import db
from ivr.calls.models import Call
from ivr.models.base import utcnow

FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def start_call(form) -> Call:
    """The Call for this CallSid, created on first sight (Twilio may retry the webhook)."""
    sid = form.get("CallSid", "")
    call = find_call(sid)
    if call is not None:
        return call
    caller = callers.find_or_create(form.get("From"), current_app.config["CALLER_HASH_KEY"])
    language = (caller.language if caller and caller.language else None) or current_app.config["DEFAULT_LANGUAGE"]
    return insert_call(Call(call_sid=sid, caller=caller, language=language))


def insert_call(call: Call) -> Call:
    """Add a new Call; if a concurrent retry of the webhook created its CallSid first, return that one."""
    db.session.add(call)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        return find_call(call.call_sid)
    return call


def start_outbound_call(sid: str, *, caller_id: int | None, language: str) -> Call:
    """The Call for a call Peerline placed, created on first sight; its "From" is our own number,
    so the caller is given (from what the call is for), never looked up from the form."""
    return find_call(sid) or insert_call(Call(call_sid=sid, caller_id=caller_id, language=language))


def find_call(sid: str) -> Call | None:
    """The Call with this CallSid, if any."""
    return db.session.execute(db.select(Call).filter_by(call_sid=sid)).scalar_one_or_none()


def context_for(form, flows) -> CallContext:
    """The CallContext of a webhook request, creating the Call if Twilio skipped /incoming."""
    call = find_call(form.get("CallSid", "")) or start_call(form)
    return CallContext(call=call, flows=flows, config=current_app.config, form=form)


def end_call(form) -> None:
    """Record a final call status; repeats and late callbacks are harmless."""
    call = find_call(form.get("CallSid", ""))
    status = form.get("CallStatus", "")
    if call is None or status not in FINAL_STATUSES:
        return
    call.status = status
    call.ended_at = call.ended_at or utcnow()
    duration = form.get("CallDuration")
    if duration and duration.isdigit():
        call.duration_s = int(duration)


def note_error(sid: str) -> tuple[int, str | None]:
    """Count errors on this call (a persistent fault ends in goodbye, not a loop); also its language."""
    try:
        call = find_call(sid)
        if call is None:
            return 1, None
        call.errors = (call.errors or 0) + 1
        db.session.commit()
        return call.errors, call.language
    except Exception:  # the database itself may be what failed
        db.session.rollback()
        return 99, None


def commit_call_state() -> None:
    """Commit what a voice webhook changed, without waiting for PostgreSQL's WAL flush.

    Call state (step, misses, call steps) is cheap to lose in a database crash: the caller
    re-presses a key. Waiting for the disk on every keypress was the largest cost of a
    webhook. What must survive a crash commits on its own first with the default durable
    commit: ivr.shares.receive_recording commits a share before any of this runs.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()
