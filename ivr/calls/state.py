"""Per-call state keyed by CallSid: in the signed action URLs, and in the database row when it must persist."""
from __future__ import annotations

from flask import Response, current_app
from sqlalchemy import Integer, bindparam, func, text, update
from twilio.twiml.voice_response import VoiceResponse

from ivr import database
from ivr.calls import callers
from ivr.calls.call_state import MARK, CallState
from ivr.calls.engine import CallContext
from ivr.extensions import db
from ivr.calls.live_call import LiveCall, find_call, insert_ignoring_retries
from ivr.calls.models import FINAL_STATUSES, Call
from ivr.models.base import utcnow
from ivr.calls.twiml import twiml

def start_call(form, conn=None) -> LiveCall:
    """A new call: one read of the caller's saved preferences (on `conn` if given), nothing written yet."""
    key = current_app.config["CALLER_HASH_KEY"]
    number = form.get("From")
    saved = callers.preferences(number, key, conn)
    language = (saved.language if saved else None) or current_app.config["DEFAULT_LANGUAGE"]
    state = CallState(language=language, caller_id=saved.caller_id if saved else None)
    withheld = {"caller": None} if saved is None and callers.number_hash(number, key) is None else {}
    return LiveCall(form.get("CallSid", ""), state, number=number, hash_key=key, preferences=saved, **withheld)


def start_outbound_call(sid: str, *, caller_id: int | None, language: str) -> Call:
    """The Call for a call Peerline placed, created on first sight; its "From" is our own number,
    so the caller is given (from what the call is for), never looked up from the form."""
    call = find_call(sid)
    if call is None:  # a retried webhook that inserted it meanwhile changes nothing
        insert_ignoring_retries({"call_sid": sid, "caller_id": caller_id, "language": language})
        call = find_call(sid)
    return call


def context_for(form, flows, encoded_state: str | None = None) -> CallContext:
    """The CallContext of a webhook: state from the signed URL, else from the calls row.

    Only webhooks without a state segment read the row (created if Twilio skipped /incoming).
    """
    sid = form.get("CallSid", "")
    key = current_app.config["CALLER_HASH_KEY"]
    if encoded_state is not None:
        live = LiveCall(sid, CallState.decode(encoded_state), number=form.get("From"), hash_key=key)
    else:
        row = find_call(sid)
        if row is None:
            live = start_call(form)
            row = live.row
        live = LiveCall(sid, CallState.of_row(row), number=form.get("From"), hash_key=key, row=row)
    return CallContext(call=live, flows=flows, config=current_app.config, form=form)


def end_call(form) -> None:
    """Record a final call status in one statement; repeats and late callbacks are harmless."""
    status = form.get("CallStatus", "")
    if status not in FINAL_STATUSES:
        return
    duration = form.get("CallDuration")
    values = {"sid": form.get("CallSid", ""), "status": status, "now": utcnow(),
              "duration": int(duration) if duration and duration.isdigit() else None}

    def update():
        with database.statements_commit_alone() as conn:
            conn.execute(_END_CALL, values)
    database.retry_once_if_disconnected(update)


# A call ends once: its first end time stays, a repeated callback only restates the status.
_END_CALL = (update(Call.__table__).where(Call.__table__.c.call_sid == bindparam("sid"))
             .values(status=bindparam("status"),
                     ended_at=func.coalesce(Call.__table__.c.ended_at, bindparam("now")),
                     duration_s=func.coalesce(bindparam("duration", type_=Integer), Call.__table__.c.duration_s)))


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


def answer(ctx: CallContext, response: VoiceResponse) -> Response:
    """The TwiML of a step webhook, its action URLs carrying the state this answer leaves behind."""
    return twiml(response, {MARK: ctx.call.state.encode()})


def finish_call_request(ctx: CallContext) -> None:
    """End a step webhook: write the state onto the row only if this request touched it, then commit."""
    ctx.call.save_to_row()
    commit_call_state()


def commit_call_state() -> None:
    """Commit what a voice webhook changed, without waiting for PostgreSQL's WAL flush.

    Call state (step, misses) is cheap to lose in a database crash: the caller
    re-presses a key. Waiting for the disk on every keypress was the largest cost of a
    webhook. What must survive a crash commits on its own first with the default durable
    commit: ivr.shares.receive_recording commits a share before any of this runs.
    A webhook that touched no database (a menu keypress) sends nothing at all.
    """
    if not database.session_opened():  # a menu move: nothing to commit, no session to make
        return
    session = db.session()
    if not (session.in_transaction() or session.new or session.dirty or session.deleted):
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()
