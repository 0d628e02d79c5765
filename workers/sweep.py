"""The periodic sweep: re-enqueue shares whose processing was lost, forget Twilio's copies, purge old audio.

A share can be stranded in "received" (Redis was down when Twilio's callback came) or in
"processing" (its worker was SIGKILLed, or every retry failed while rq had no retries left).
The sweep asks rq whether the share's job is still waiting or alive before enqueueing it again,
and every job is idempotent, so running the sweep often is safe. It runs from rq's scheduler
(every worker keeps one self-rescheduling sweep job alive) or from cron as `peerline sweep`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app
from rq import get_current_job

from ivr import jobs
from ivr.shares import spool as callback_spool
from ivr.circles import reminders
from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.progress import silent
from workers import context

log = logging.getLogger(__name__)

#: Redis key naming the one pending scheduled sweep; its expiry revives a lost chain.
CHAIN_KEY = "peerline:sweep:next"
#: A share younger than this is left alone: its first job may simply not have run yet.
DEFAULT_STUCK_AFTER = timedelta(minutes=10)
#: A started job whose worker has not sent a heartbeat for this long is abandoned (rq beats every 30 s).
DEFAULT_HEARTBEAT_GRACE = timedelta(seconds=120)
PENDING_STATES = ("queued", "scheduled", "deferred")


@dataclass
class SweepReport:
    """What one sweep did."""

    requeued: list[int] = field(default_factory=list)
    still_running: list[int] = field(default_factory=list)
    twilio_forgotten: list[int] = field(default_factory=list)
    purged: list[int] = field(default_factory=list)
    replayed_callbacks: int = 0
    reminders_released: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """One line for logs and the CLI."""
        return (f"spooled callbacks replayed {self.replayed_callbacks}, "
                f"stuck reminders sent again {len(self.reminders_released)}, "
                f"re-enqueued {len(self.requeued)}, still running or waiting {len(self.still_running)}, "
                f"failed fetches retried {len(self.retried)}, "
                f"Twilio copies deleted {len(self.twilio_forgotten)}, audio purged {len(self.purged)}, "
                f"shares skipped after an error {len(self.skipped)}")


def run(*, now: datetime | None = None, stuck_after: timedelta | None = None,
        heartbeat_grace: timedelta | None = None, limit: int = 500, progress=None) -> SweepReport:
    """Sweep once inside an app context: re-enqueue stranded shares, forget Twilio copies, purge audio.

    `progress(items, label)` wraps each batch (ivr.progress: a bar on a terminal, lines otherwise).
    """
    progress = progress or silent
    config = current_app.config
    now = now or datetime.now(timezone.utc)
    stuck_after = DEFAULT_STUCK_AFTER if stuck_after is None else stuck_after
    heartbeat_grace = DEFAULT_HEARTBEAT_GRACE if heartbeat_grace is None else heartbeat_grace
    report = SweepReport()
    # Each phase, and each share within one, fails alone: one bad row never stops the rest.
    report.replayed_callbacks = _phase("replay spooled callbacks", callback_spool.replay) or 0
    report.reminders_released = _phase("release stuck reminders", reminders.release_stuck, now) or []
    _phase("re-enqueue stranded shares", _requeue_stranded, report, now - stuck_after, heartbeat_grace, limit,
           progress)
    _phase("retry failed fetches", _retry_unfetched, report, now, limit, progress)
    _phase("forget Twilio copies", _forget_twilio_copies, report, now - stuck_after, limit, progress)
    _phase("purge expired audio", _purge_expired, report,
           now - timedelta(days=int(config["SHARE_RETENTION_DAYS"])), limit, progress)
    log.info("sweep: %s", report.summary())
    return report


def _phase(name: str, fn, *args):
    """Run one phase of the sweep; a failure is logged and rolled back, and the sweep goes on."""
    try:
        return fn(*args)
    except Exception:
        db.session.rollback()
        log.exception("sweep: %s failed; the other phases still run", name)
        return None


def _each(report: SweepReport, share_id: int, fn) -> None:
    """Handle one share in its own transaction: committed, or rolled back, logged and skipped."""
    try:
        fn()
        db.session.commit()
    except Exception:
        db.session.rollback()
        report.skipped.append(share_id)
        log.exception("sweep: share %s skipped this time", share_id)


# --- stranded shares ---------------------------------------------------------------------------

def _requeue_stranded(report: SweepReport, older_than: datetime, grace: timedelta, limit: int, progress) -> None:
    candidates = shares.stranded_ids(older_than, limit)

    def requeue(share_id: int) -> None:
        share = shares.get(share_id)
        if _job_alive(jobs.share_job_id(share.recording_sid), grace):
            report.still_running.append(share.id)
            return
        log.warning("sweep: share %s stranded in %r (attempt %s); enqueueing it again",
                    share.reference, share.status, share.attempts)
        shares.enqueue_processing(share)
        report.requeued.append(share.id)

    with progress(candidates, "Checking stranded shares") as batch:
        for share_id in batch:
            _each(report, share_id, lambda: requeue(share_id))


def _retry_unfetched(report: SweepReport, now: datetime, limit: int, progress) -> None:
    """Shares whose fetch or store failed after all their retries: try again when their backoff is up."""
    due = shares.due_for_retry_ids(now, limit)

    def retry(share_id: int) -> None:
        try:
            shares.retry_processing(share_id, actor="sweep")
        except shares.ShareError as exc:  # decided, gone, or no audio left: no longer due
            log.info("sweep: share %s not retried: %s", share_id, exc)
            return
        report.retried.append(share_id)

    with progress(due, "Retrying failed fetches") as batch:
        for share_id in batch:
            _each(report, share_id, lambda: retry(share_id))


def _job_alive(job_id: str, grace: timedelta) -> bool:
    """True while rq still holds the job as waiting, or running with a recent heartbeat."""
    job = jobs.fetch_job(job_id)  # None inline too: nothing runs in the background there
    if job is None:
        return False
    status = job.get_status(refresh=False)
    state = getattr(status, "value", status)
    if state in PENDING_STATES:
        return True
    if state == "started":
        beat = job.last_heartbeat or job.started_at
        if beat is not None and beat.tzinfo is None:
            beat = beat.replace(tzinfo=timezone.utc)
        return beat is not None and datetime.now(timezone.utc) - beat < grace
    return False


# --- Twilio copies and retention ---------------------------------------------------------------

def _forget_twilio_copies(report: SweepReport, older_than: datetime, limit: int, progress) -> None:
    """Delete Twilio's copy of recordings we hold (and decoded), and of every discarded or deleted share.

    A copy is kept while it is the only one: a share whose stored original is missing or did not
    decode still has its audio only at Twilio.
    """
    pending = shares.twilio_copies_to_forget_ids(older_than, limit)
    with progress(pending, "Deleting Twilio's copies") as batch:
        for share_id in batch:
            try:
                if shares.forget_twilio_copy(share_id):
                    report.twilio_forgotten.append(share_id)
            except Exception as exc:  # one unreachable Twilio call must not stop the sweep
                db.session.rollback()
                log.warning("sweep: Twilio copy of share %s not deleted yet: %s", share_id, exc)


def _purge_expired(report: SweepReport, older_than: datetime, limit: int, progress) -> None:
    """Remove audio and transcripts of shares past retention (published stories keep their own copy)."""
    expired = shares.expired_ids(older_than, limit)

    def purge(share_id: int) -> None:
        share = shares.get(share_id)
        if share is None or share.status in ("deleted", "published"):
            return  # a published story is the caller's gift to the library; staff unpublish it
        # delete() removes audio, transcript and derived copies, and leaves a content-free audit entry.
        shares.delete(share_id, actor="retention")
        report.purged.append(share_id)

    with progress(expired, "Purging audio past retention") as batch:
        for share_id in batch:
            _each(report, share_id, lambda: purge(share_id))


# --- scheduling --------------------------------------------------------------------------------

def interval_s(config) -> int:
    """Seconds between scheduled sweeps (SWEEP_INTERVAL_S)."""
    return config["SWEEP_INTERVAL_S"]


def ensure_scheduled(queue, delay_s: int | None = None) -> str | None:
    """Schedule the next sweep on rq's scheduler unless one is already pending; return its job id."""
    interval = interval_s(current_app.config)
    delay = interval if delay_s is None else delay_s
    job_id = jobs.new_sweep_job_id()
    # SET NX: of all the workers sharing this Redis, exactly one schedules the next sweep; the
    # expiry lets the chain restart if its job is ever lost.
    if not queue.connection.set(CHAIN_KEY, job_id, nx=True, ex=delay + 2 * interval):
        return None
    jobs.schedule_sweep(job_id, delay, on=queue)
    return job_id


def scheduled_sweep() -> str:
    """rq job: sweep once, then schedule the next one."""
    with context.app_context():
        try:
            summary = run().summary()
        finally:
            job = get_current_job()
            if job is not None:
                # Release this run's claim only if it is still ours, then chain the next run.
                if job.connection.get(CHAIN_KEY) in (job.id.encode(), None):
                    job.connection.delete(CHAIN_KEY)
                ensure_scheduled(jobs.queue())
    return summary
