"""Voice shares: the only place a share changes state.

Workers call mark_processing / record_processing_result / mark_needs_listening / mark_failed;
staff pages call queue / decide / withdraw / delete; Twilio's recording callback calls
receive_from_callback (the caller's choices before that live in ivr/shares/drafts.py).
Functions flush and leave the commit to the caller, except those that enqueue a job
(receive_recording, discard, delete): they commit first, so the job sees the row.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from blinker import Namespace
from flask import abort, current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from ivr import jobs
from ivr.extensions import db
from ivr.calls.models import Call
from ivr.shares.models import Share, ShareAudit, ShareDraft
from ivr.models.base import utcnow
from ivr.shares.models import CLOSED_STATUSES, CONSENTS
from ivr.storage import storage
from ivr import telephony

log = logging.getLogger(__name__)

# Stories made from a share are the stories feature's: it listens, so this module never imports it.
_signals = Namespace()
#: Sent (with the share) when a share's audio is destroyed: stories made from it lose theirs.
share_purged = _signals.signal("share-purged")
#: Sent (with the share) when its caller withdraws it: stories made from it stop playing.
share_withdrawn = _signals.signal("share-withdrawn")

REFERENCE_DIGITS = 6
#: Statuses processing may (re)start from; anything else is decided or gone.
PROCESSABLE = ("received", "processing", "needs_listening", "failed", "queued")
#: Statuses shown in the moderation queue.
QUEUE_STATUSES = ("queued", "needs_listening")
#: Moderator decisions.
DECISIONS = ("published", "kept_private", "rejected")
#: Tiers a moderator can set after listening, most urgent first, with the lowest priority of each
#: (the bands of workers/screening/types.py, which the web process does not import; a test keeps
#: the two in step).
MODERATOR_TIERS = {"crisis": 80, "high": 60, "elevated": 40, "abuse": 30, "personal_details": 10, "clean": 0}
#: Statuses whose processing a moderator can run again.
RETRYABLE = ("failed", "needs_listening", "queued")
#: Statuses of a share that is gone for staff too (its page is a 404).
GONE_STATUSES = ("deleted", "discarded", "withdrawn")

_hasher = PasswordHasher()


class ShareError(ValueError):
    """Raised for a state change a share cannot make (e.g. deciding a deleted share)."""


# --- references and PINs -------------------------------------------------------------------

def new_reference() -> str:
    """A short reference, unused by any share or recording attempt, to speak digit by digit."""
    while True:
        ref = str(secrets.randbelow(9 * 10 ** (REFERENCE_DIGITS - 1)) + 10 ** (REFERENCE_DIGITS - 1))
        taken = db.session.execute(select(Share.id).filter_by(reference=ref)).first() or \
            db.session.execute(select(ShareDraft.id).filter_by(reference=ref)).first()
        if not taken:
            return ref


def hash_pin(pin: str) -> str:
    """An argon2 hash of a caller's PIN."""
    return _hasher.hash(pin)


def check_pin(share: Share, pin: str) -> bool:
    """True if the PIN opens this share (wrong tries are counted on the share for staff).

    Locking is not decided here: ivr.guesses pauses tries by their own time, so a lock expires
    and a stranger who knows the reference cannot stop the owner for good.
    """
    if not share.pin_hash:
        return False
    try:
        _hasher.verify(share.pin_hash, pin)
    except (VerificationError, InvalidHashError):
        share.pin_failures = (share.pin_failures or 0) + 1
        db.session.flush()
        return False
    share.pin_failures = 0
    return True


# --- receiving recordings -----------------------------------------------------------------

@dataclass
class Received:
    """What receive_recording did: the share, and whether this call created it."""

    share: Share
    created: bool


def find_by_recording_sid(recording_sid: str) -> Share | None:
    """The share for a Twilio RecordingSid, if any."""
    return db.session.execute(select(Share).filter_by(recording_sid=recording_sid)).scalar_one_or_none()


def find_by_reference(reference: str) -> Share | None:
    """The share with this spoken reference, if any."""
    return db.session.execute(select(Share).filter_by(reference=reference)).scalar_one_or_none()


def get(share_id: int) -> Share | None:
    """The share with this id, if any."""
    return db.session.get(Share, share_id)


def get_share(share_id: int) -> Share:
    """The share a moderator may open; aborts with 404 if it is unknown or gone (GONE_STATUSES)."""
    share = get(share_id)
    if share is None or share.status in GONE_STATUSES:
        abort(404)
    return share


def receive_recording(recording_sid: str, call_sid: str | None, recording_url: str | None,
                      duration_s: int | None, caller_id: int | None, language: str,
                      consent: str = "private", disguise: bool = False, *, reference: str | None = None,
                      pin_hash: str | None = None, status: str = "received",
                      failure_reason: str | None = None, truncated: bool = False,
                      enqueue: bool = True, reply_to_story_id: int | None = None) -> Share:
    """Persist a share for a RecordingSid (once, whatever the repeats or races), commit, then enqueue.

    The commit comes first so that the share survives whatever happens to the job. Only the
    request that created the share enqueues its processing (job id "share-<RecordingSid>").
    """
    outcome = _insert_once(Share(
        reference=reference or new_reference(), recording_sid=recording_sid, call_sid=call_sid,
        caller_id=caller_id, pin_hash=pin_hash, language=language,
        consent=consent if consent in CONSENTS else "private",
        # A reply's voice reaches its storyteller even when private, so it may be disguised too.
        disguise=bool(disguise) and (consent == "library" or reply_to_story_id is not None),
        is_reply=reply_to_story_id is not None, reply_to_story_id=reply_to_story_id,
        status=status, duration_s=duration_s,
        truncated=truncated, recording_url=recording_url, failure_reason=failure_reason,
        pin_failures=0, priority=0, attempts=0, twilio_deleted=False,
    ))
    share = outcome.share
    if outcome.created and share.status == "discarded":
        _audit(share, "discarded", "caller")
    db.session.commit()
    share_id, status = share.id, share.status
    if outcome.created and enqueue and status == "received":
        enqueue_processing(share)
    elif outcome.created and status == "discarded":
        jobs.enqueue_forget_twilio_copy(share_id, recording_sid)
    # An inline job may have ended this session: hand back a row bound to the current one.
    return get(share_id)


def _insert_once(share: Share) -> Received:
    existing = find_by_recording_sid(share.recording_sid)
    if existing is not None:
        return Received(existing, False)
    for _ in range(3):
        try:
            with db.session.begin_nested():
                db.session.add(share)
                db.session.flush()
            return Received(share, True)
        except IntegrityError:
            existing = find_by_recording_sid(share.recording_sid)
            if existing is not None:  # a concurrent repeat of the same callback won
                return Received(existing, False)
            share.reference = new_reference()  # the (rare) reference collision
    raise ShareError("could not allocate a share reference")


def receive_from_callback(draft: ShareDraft | None, form) -> Share | None:
    """Handle Twilio's recordingStatusCallback for an attempt: persist a share, or record the failure.

    Returns None only for statuses that say nothing final (e.g. in-progress).
    """
    sid = (form.get("RecordingSid") or "").strip()
    status = (form.get("RecordingStatus") or "").strip()
    if not sid or status not in ("completed", "absent", "failed"):
        return None
    share_status, reason = "received", None
    if status != "completed":
        error = form.get("ErrorCode")
        share_status, reason = "failed", f"twilio:{status}" + (f":{error}" if error else "")
    elif draft is not None and draft.outcome in ("discarded", "replaced"):
        share_status = "discarded"
    return _receive(draft, sid, form.get("CallSid"), form.get("RecordingUrl"),
                    _int(form.get("RecordingDuration")), share_status, reason)


def receive_kept(draft: ShareDraft) -> Share | None:
    """The caller kept a recording: make sure its share exists even if Twilio's callback is late or lost."""
    if not draft.recording_sid:
        return None
    return _receive(draft, draft.recording_sid, None, draft.recording_url, draft.duration_s, "received", None)


def _receive(draft, sid, call_sid, url, duration, status, reason) -> Share:
    call = db.session.get(Call, draft.call_id) if draft else None
    return receive_recording(
        sid, call_sid or (call.call_sid if call else None),
        None if status == "discarded" else _recording_url(url), duration,
        call.caller_id if call else None,
        draft.language if draft else "en",
        (draft.consent if draft else None) or "private",
        bool(draft.disguise) if draft else False,
        reference=_free_reference(draft), pin_hash=draft.pin_hash if draft else None,
        status=status, failure_reason=reason,
        truncated=bool(duration is not None and duration >= _max_seconds(is_reply=bool(draft and draft.reply_to_story_id))),
        reply_to_story_id=draft.reply_to_story_id if draft else None,
    )


def _free_reference(draft: ShareDraft | None) -> str | None:
    if draft is None:
        return None
    taken = db.session.execute(select(Share.id).filter_by(reference=draft.reference)).first()
    return None if taken else draft.reference


def _recording_url(url: str | None) -> str | None:
    return url[:500] if url else None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _max_seconds(is_reply: bool = False) -> int:
    if is_reply:
        return current_app.config["MAX_REPLY_SECONDS"]
    return current_app.config["MAX_SHARE_SECONDS"]


# --- processing (called by workers) --------------------------------------------------------

def mark_processing(share_id: int) -> Share | None:
    """Start (or restart) processing; None when the share is gone or already decided."""
    share = get(share_id)
    if share is None or share.status not in PROCESSABLE:
        return None
    share.status = "processing"
    share.attempts = (share.attempts or 0) + 1
    db.session.flush()
    return share


def record_processing_result(share_id: int, *, transcript=None, screening=None, tier: str | None = None,
                             priority: int = 0, reasons: list | None = None, original_key: str | None = None,
                             redacted_key: str | None = None, disguised_key: str | None = None,
                             duration_s: int | None = None, truncated: bool | None = None,
                             empty: bool = False, needs_listening: bool = False) -> Share | None:
    """Store what processing produced and put the share in the moderation queue.

    Silence-only recordings become "empty"; `needs_listening` sends it to a human first.
    If the caller withdrew, discarded or deleted it meanwhile, the new files are removed
    and None is returned.
    """
    share = get(share_id)
    new_keys = [k for k in (original_key, redacted_key, disguised_key) if k]
    if share is None or share.status in CLOSED_STATUSES:
        _remove_keys(new_keys)
        return None
    if share.status in DECISIONS:
        raise ShareError(f"share {share_id} was already decided ({share.status})")
    share.original_key = original_key or share.original_key
    share.redacted_key = redacted_key or share.redacted_key
    share.disguised_key = disguised_key or share.disguised_key
    share.transcript, share.screening, share.reasons = transcript, screening, reasons
    if share.tier_set_by and share.priority >= int(priority or 0):
        needs_listening = False  # a moderator listened and ranked it; screening may only raise it
    else:
        share.tier, share.priority = tier, int(priority or 0)
    if duration_s is not None:
        share.duration_s = duration_s
    if truncated is not None:
        share.truncated = truncated
    now = utcnow()
    share.processed_at = now
    share.failure_reason = None
    if empty:
        share.status = "empty"
    else:
        share.status = "needs_listening" if needs_listening else "queued"
        share.queued_at = share.queued_at or now
    db.session.flush()
    return share


def mark_needs_listening(share_id: int, reason: str) -> Share | None:
    """Processing could not rank the share: a moderator must listen (it stays in the queue)."""
    share = get(share_id)
    if share is None or share.status not in PROCESSABLE:
        return None
    share.status = "needs_listening"
    share.failure_reason = reason[:200]
    share.reasons = list(share.reasons or []) + [reason[:200]]
    share.queued_at = share.queued_at or utcnow()
    db.session.flush()
    return share


#: Failed fetches are retried by the sweep for this long after the recording was made.
FETCH_RETRY_FOR = timedelta(days=1)


def schedule_fetch_retry(share_id: int, now: datetime | None = None) -> datetime | None:
    """The recording could not be fetched or stored after every retry: let the sweep try again later.

    The wait grows with the share's age (a quarter of it, 5 minutes to 4 hours), for a day; after
    that a moderator's Retry is the way. Returns when the next try is due (None: no more).
    """
    share = get(share_id)
    now = now or utcnow()
    if share is None or share.twilio_deleted or share.status in CLOSED_STATUSES:
        return None
    created = share.created_at if share.created_at.tzinfo else share.created_at.replace(tzinfo=timezone.utc)
    age = now - created
    if age > FETCH_RETRY_FOR:
        share.retry_after = None
        return None
    wait = min(max(age / 4, timedelta(minutes=5)), timedelta(hours=4))
    share.retry_after = now + wait
    db.session.flush()
    return share.retry_after


#: Failure reasons that mean Twilio never had the audio (or no longer has it) and we hold none.
NO_AUDIO_AT_TWILIO = ("twilio:", "processing failed: the recording could not be found at Twilio")


def retryable(share: Share) -> bool:
    """True when processing can run again: the share awaits a decision and its audio is still somewhere."""
    if share.status not in RETRYABLE:
        return False
    if share.original_key:
        return True
    return not share.twilio_deleted and not (share.failure_reason or "").startswith(NO_AUDIO_AT_TWILIO)


def mark_failed(share_id: int, reason: str) -> Share | None:
    """Processing gave up: record why (the share is kept and shown to moderators)."""
    share = get(share_id)
    if share is None or share.status not in PROCESSABLE:
        return None
    share.status = "failed"
    share.failure_reason = reason[:200]
    share.processed_at = utcnow()
    db.session.flush()
    return share


def record_original(share_id: int, key: str) -> None:
    """The worker now holds the original recording under this storage key.

    If the caller discarded or deleted the share meanwhile, the file is removed at once.
    """
    share = get(share_id)
    if share is None or share.status in ("discarded", "deleted"):
        _remove_keys([key])
        return
    share.original_key = key
    db.session.flush()


def enqueue_processing(share: Share) -> None:
    """(Re)enqueue a share's processing job (the worker's process_share; the sweep calls this too)."""
    jobs.enqueue_share_processing(share.id, share.recording_sid, share.duration_s)


def mark_twilio_deleted(share_id: int) -> None:
    """Twilio's copy of the recording is gone (we hold our own, or none)."""
    share = get(share_id)
    if share is not None:
        share.twilio_deleted = True
        db.session.flush()


# --- moderation -------------------------------------------------------------------------------

def queue(limit: int | None = None) -> list[Share]:
    """The moderation queue: crisis and high tiers by priority, then shares nobody could rank
    (needs listening) oldest first, then the rest by priority; ties oldest first.

    An unranked share may hold anything, so it waits behind only what is known to be urgent.
    """
    items = list(db.session.execute(select(Share).where(Share.status.in_(QUEUE_STATUSES))).scalars())
    items.sort(key=_queue_order)
    return items[:limit] if limit else items


def failed() -> list[Share]:
    """Shares whose processing failed, oldest first (listed apart from the queue, for a retry)."""
    return list(db.session.execute(select(Share).filter_by(status="failed").order_by(Share.created_at)).scalars())


def _queue_order(share: Share) -> tuple:
    waiting = share.queued_at or share.created_at
    if share.priority >= MODERATOR_TIERS["high"]:
        return (0, -share.priority, share.created_at, share.id)
    if share.status == "needs_listening":
        return (1, 0, waiting, share.id)
    return (2, -share.priority, share.created_at, share.id)


def decide(share_id: int, decision: str, actor: str) -> Share:
    """A moderator's decision: published, kept_private or rejected."""
    if decision not in DECISIONS:
        raise ShareError(f"unknown decision {decision!r}")
    share = get(share_id)
    if share is None or share.status in CLOSED_STATUSES:
        raise ShareError(f"share {share_id} is gone")
    if decision == "published" and share.consent != "library":
        raise ShareError("the caller did not agree to the library")
    share.status = decision
    share.decided_at = utcnow()
    share.decided_by = actor[:64]
    db.session.flush()
    return share


def set_tier(share_id: int, tier: str, actor: str) -> tuple[Share, str | None]:
    """A moderator ranks a share after listening; returns it and its previous tier.

    A needs-listening or failed share joins the ranked queue. Alerting on-call when the tier
    becomes crisis is the caller's step (ivr.shares.oncall.alert), after committing.
    """
    if tier not in MODERATOR_TIERS:
        raise ShareError(f"unknown tier {tier!r}")
    share = get(share_id)
    if share is None or share.status in CLOSED_STATUSES:
        raise ShareError(f"share {share_id} is gone")
    previous = share.tier
    floor = MODERATOR_TIERS[tier]
    ceiling = min([f for f in MODERATOR_TIERS.values() if f > floor], default=101) - 1
    if not floor <= (share.priority or 0) <= ceiling:
        share.priority = floor
    share.tier, share.tier_set_by, share.tier_set_at = tier, actor[:64], utcnow()
    if share.status in ("needs_listening", "failed"):
        share.status = "queued"
        share.queued_at = share.queued_at or utcnow()
    db.session.flush()
    return share, previous


def retry_processing(share_id: int, actor: str) -> Share:
    """Run a share's processing again from the start: a moderator's Retry, or the sweep's backoff.

    One path for both. The share stays where it is (in the queue) until the job runs; attempts
    start afresh and any pending backoff is cleared. Commits, then enqueues under a fresh job id
    (the first run's id may still sit in rq's failed registry). If Redis is away, the share is
    due again at once, so the next sweep enqueues it. Raises ShareError when there is nothing to
    process (then the share is no longer due for the sweep either).
    """
    share = get(share_id)
    if share is None or not retryable(share):
        if share is not None and share.retry_after is not None:
            share.retry_after = None
            db.session.commit()
        if share is not None and share.status in RETRYABLE:
            raise ShareError("there is no recording to process: Twilio has none and we hold none")
        raise ShareError("this share cannot be processed again")
    share.attempts, share.retry_after = 0, None  # a fresh set of attempts, so the limit does not stop it at once
    _audit(share, "retried", actor)
    db.session.commit()  # before enqueueing: the worker must see the row
    share_id = share.id
    try:
        jobs.enqueue_share_retry(share_id, share.recording_sid, share.duration_s, utcnow())
    except Exception:  # Redis away: due again now, so the next sweep enqueues it
        log.warning("share %s: retry not enqueued now; the sweep will", share.reference, exc_info=True)
        share = get(share_id)
        share.retry_after = utcnow()
        db.session.commit()
    return get(share_id)


def follow_up(share_id: int, note: str) -> Share:
    """Record that staff followed up on a share (e.g. a crisis call back)."""
    share = get(share_id)
    if share is None:
        raise ShareError(f"no share {share_id}")
    share.followed_up_at = utcnow()
    share.follow_up_note = note
    db.session.flush()
    return share


# --- the caller's own shares ------------------------------------------------------------------

def for_caller(caller_id: int) -> list[Share]:
    """A known caller's shares that still exist (withdrawn ones too, to delete), newest first.

    Recordings Twilio reported absent are left out: the caller was told nothing was heard.
    """
    return list(db.session.execute(
        select(Share).filter_by(caller_id=caller_id)
        .where(Share.status.not_in(("discarded", "deleted")))
        .where(or_(Share.failure_reason.is_(None), Share.failure_reason.not_like("twilio:absent%"))).order_by(Share.created_at.desc(), Share.id.desc())
    ).scalars())


def withdraw(share_id: int, actor: str = "caller") -> Share | None:
    """Take a share out of the queue and the library for good (its audio is removed later)."""
    share = get(share_id)
    if share is None or share.status in CLOSED_STATUSES:
        return share
    share_withdrawn.send(share)
    share.status = "withdrawn"
    _audit(share, "withdrawn", actor)
    db.session.flush()
    return share


def discard(share_id: int, actor: str = "caller") -> Share | None:
    """The caller discarded it at the review menu: remove our audio and Twilio's copy."""
    share = get(share_id)
    if share is None or share.status == "deleted":
        return share
    if share.status != "discarded":
        _purge(share)
        share.status = "discarded"
        _audit(share, "discarded", actor)
        db.session.flush()
        share_id = share.id
        _forget_later(share)
        return get(share_id)
    return share


def delete(share_id: int, actor: str = "caller") -> Share | None:
    """Remove the audio, transcript and every derived copy; leave an audit entry without content."""
    share = get(share_id)
    if share is None or share.status == "deleted":
        return share
    _purge(share)
    share.status = "deleted"
    _audit(share, "deleted", actor)
    db.session.flush()
    share_id = share.id
    _forget_later(share)
    return get(share_id)


# --- what the sweep looks for (ids only: it handles each share in its own transaction) ------------

def stranded_ids(older_than: datetime, limit: int) -> list[int]:
    """Shares still received or processing since before `older_than`, oldest first."""
    return list(db.session.execute(
        select(Share.id).where(Share.status.in_(("received", "processing")), Share.created_at <= older_than)
        .order_by(Share.created_at).limit(limit)
    ).scalars())


def due_for_retry_ids(now: datetime, limit: int) -> list[int]:
    """Shares whose fetch backoff is up (schedule_fetch_retry set it), soonest due first."""
    return list(db.session.execute(
        select(Share.id).where(Share.retry_after.is_not(None), Share.retry_after <= now)
        .order_by(Share.retry_after).limit(limit)
    ).scalars())


def twilio_copies_to_forget_ids(older_than: datetime, limit: int) -> list[int]:
    """Shares (from before `older_than`) whose Twilio copy can go: discarded or deleted ones, and
    those whose original we hold and decoded (no fetch retry pending)."""
    return list(db.session.execute(
        select(Share.id).where(
            Share.twilio_deleted.is_(False),
            or_(Share.status.in_(("discarded", "deleted")),
                and_(Share.original_key.is_not(None), Share.retry_after.is_(None))),
            Share.created_at <= older_than).limit(limit)
    ).scalars())


def expired_ids(older_than: datetime, limit: int) -> list[int]:
    """Shares past retention (created before `older_than`) not yet deleted nor published, oldest first."""
    return list(db.session.execute(
        select(Share.id).where(Share.created_at <= older_than, Share.status.not_in(("deleted", "published")))
        .order_by(Share.created_at).limit(limit)
    ).scalars())


def forget_twilio_copy(share_id: int) -> bool:
    """Job: delete Twilio's copy of a share's recording (idempotent)."""
    share = get(share_id)
    if share is None or share.twilio_deleted:
        return False
    telephony.delete_recording(share.recording_sid)
    share.twilio_deleted = True
    db.session.commit()
    return True


def _forget_later(share: Share) -> None:
    # Commit before enqueueing: an rq worker may pick the job up at once and must see the row.
    if not share.twilio_deleted:
        db.session.commit()
        try:
            jobs.enqueue_forget_twilio_copy(share.id, share.recording_sid)
        except Exception:  # Redis away: the sweep deletes Twilio's copy of every discarded/deleted share
            log.warning("share %s: Twilio copy not forgotten yet; the sweep will", share.reference, exc_info=True)


def _purge(share: Share) -> None:
    share_purged.send(share)
    _remove_keys(share.storage_keys())
    share.original_key = share.redacted_key = share.disguised_key = share.reply_audio_key = None
    share.transcript = share.screening = share.reasons = None
    share.recording_url = share.follow_up_note = share.tier = None
    share.pin_hash = None


def _remove_keys(keys: list[str]) -> None:
    store = storage()
    for key in keys:
        store.delete(key)


def _audit(share: Share, action: str, actor: str) -> None:
    db.session.add(ShareAudit(share_id=share.id, reference=share.reference, action=action, actor=actor[:64]))
