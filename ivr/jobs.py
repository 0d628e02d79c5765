"""Background jobs: the only place that names them and sets their rq options.

Every job is enqueued through one typed function below. With REDIS_URL set, the app has one rq
queue on one Redis connection pool, made at start-up and kept as `app.task_queue` (microblog's
pattern); without it (the embedded default) a job runs inline, in-process, and a failure is
logged and left for the sweep. A scheduled job (a reminder's time, a retry later) has no inline
form: without Redis, `peerline circles remind` and `peerline sweep` (cron) do that work.

Jobs are named by dotted string, never imported: the web process must not import workers/ (nor
Vosk through it), so nothing here may import a job's module.
"""
from __future__ import annotations

import importlib
import logging
import uuid
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job

log = logging.getLogger(__name__)

# The jobs, by dotted name (see the module docstring for why they are strings).
PROCESS_SHARE = "workers.share_pipeline.process_share"
ALERT_ONCALL = "workers.share_pipeline.alert_oncall"
FORGET_TWILIO_COPY = "ivr.shares.domain.forget_twilio_copy"
FORGET_FIRST_NAMES = "workers.circle_names.forget_first_names"
SEND_REMINDER = "workers.reminders.send_reminder"
SCHEDULED_SWEEP = "workers.sweep.scheduled_sweep"

#: A failed share job is the dead-letter queue (rq's FailedJobRegistry): keep it a month.
SHARE_FAILURE_TTL_S = 30 * 24 * 3600
#: A reminder whose call or text failed transiently is tried again this much later.
REMINDER_RETRY_AFTER = timedelta(minutes=1)


def init_app(app: Flask) -> None:
    """Give the app its one queue and Redis connection (None for both when jobs run inline)."""
    url = app.config["REDIS_URL"]
    # redis-py connects lazily, and its pool starts afresh in a forked child (it checks the pid),
    # so building this before the worker forks is safe.
    app.redis = Redis.from_url(url) if url else None
    app.task_queue = Queue(app.config["RQ_QUEUE"], connection=app.redis) if url else None


def in_background() -> bool:
    """True when jobs go to rq on Redis; False when they run inline (no REDIS_URL)."""
    return current_app.task_queue is not None


def queue() -> Queue:
    """The app's rq queue (RuntimeError when jobs run inline: there is none)."""
    task_queue = current_app.task_queue
    if task_queue is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inline and there is no queue")
    return task_queue


def redis_connection() -> Redis:
    """The app's Redis connection, the one its queue uses."""
    return queue().connection


def worker_queue(app: Flask, name: str | None = None) -> Queue:
    """The queue a worker listens on: the app's own, or another by name on the app's connection."""
    if app.task_queue is None:
        raise RuntimeError("REDIS_URL is not set: a worker needs Redis")
    if not name or name == app.task_queue.name:
        return app.task_queue
    return Queue(name, connection=app.task_queue.connection)


def fetch_job(job_id: str) -> Job | None:
    """rq's record of a job, or None when rq holds none (always None when jobs run inline)."""
    if not in_background():
        return None
    try:
        return Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return None


# --- voice shares ------------------------------------------------------------------------------

def share_job_id(recording_sid: str) -> str:
    """A share's processing job id: one per recording, so repeated callbacks make one job."""
    return f"share-{recording_sid}"


def share_processing_options(recording_sid: str, duration_s: int | None) -> dict:
    """rq options for a share's processing job: its id, retries with backoff, a length-based timeout."""
    config = current_app.config
    intervals = [int(x) for x in config["SHARE_RETRY_INTERVALS"].split(",") if x.strip()]
    max_seconds = config["MAX_SHARE_SECONDS"]
    seconds = duration_s if duration_s and duration_s > 0 else max_seconds
    return {
        "job_id": share_job_id(recording_sid),
        # Vosk runs well under real time; 4x the length plus fixed costs still ends hung jobs.
        "job_timeout": int(120 + 4 * min(seconds, 2 * max_seconds)),
        "retry": Retry(max=max(1, config["SHARE_MAX_ATTEMPTS"] - 1), interval=intervals or [30]),
        "failure_ttl": SHARE_FAILURE_TTL_S,
    }


def enqueue_share_processing(share_id: int, recording_sid: str, duration_s: int | None) -> None:
    """Process a share (fetch, transcribe, screen, queue for moderation); the sweep re-enqueues it too."""
    _enqueue(PROCESS_SHARE, share_id, **share_processing_options(recording_sid, duration_s))


def enqueue_share_retry(share_id: int, recording_sid: str, duration_s: int | None, now: datetime) -> None:
    """Process a share again from any state (forced), under a fresh job id.

    The first run's id may still sit in rq's failed registry, so a retry gets an id of its own.
    """
    options = share_processing_options(recording_sid, duration_s)
    options["job_id"] = f"{share_job_id(recording_sid)}-retry-{int(now.timestamp())}"
    _enqueue(PROCESS_SHARE, share_id, True, **options)


def enqueue_forget_twilio_copy(share_id: int, recording_sid: str) -> None:
    """Delete Twilio's copy of a share's recording (a discarded or deleted share)."""
    _enqueue(FORGET_TWILIO_COPY, share_id, job_id=f"forget-{recording_sid}")


def enqueue_oncall_alert(share_id: int) -> None:
    """Text the on-call moderator about a crisis-tier share: at the queue's front, retried for ~2 min."""
    _enqueue(ALERT_ONCALL, share_id, job_id=f"oncall-{share_id}", at_front=True,
             retry=Retry(max=5, interval=[5, 10, 20, 30, 60]), job_timeout=60)


# --- circles -----------------------------------------------------------------------------------

def enqueue_forget_first_names(session_id: int) -> None:
    """Delete a finished meeting's first-name recordings at Twilio."""
    _enqueue(FORGET_FIRST_NAMES, session_id, job_id=f"circle-names-{session_id}")


def schedule_reminder(reminder_id: int, at: datetime) -> None:
    """Send a circle reminder at its time on rq's scheduler (inline: cron's `circles remind` sends it)."""
    if in_background():
        queue().enqueue_at(at, SEND_REMINDER, reminder_id, job_id=f"circle-reminder-{reminder_id}")


def enqueue_stuck_reminder(reminder_id: int) -> None:
    """Send again, now, a reminder whose worker died mid-send (inline: cron's `circles remind` does)."""
    if in_background():
        queue().enqueue(SEND_REMINDER, reminder_id, job_id=f"circle-reminder-{reminder_id}-stuck")


def retry_reminder_later(reminder_id: int) -> None:
    """Try a reminder again after REMINDER_RETRY_AFTER (inline: cron's `circles remind` does)."""
    if in_background():
        queue().enqueue_in(REMINDER_RETRY_AFTER, SEND_REMINDER, reminder_id,
                           job_id=f"circle-reminder-{reminder_id}-retry")


# --- the sweep ---------------------------------------------------------------------------------

def new_sweep_job_id() -> str:
    """A fresh id for the next scheduled sweep (never the id of the run now finishing)."""
    return f"peerline-sweep-{uuid.uuid4().hex[:16]}"


def schedule_sweep(job_id: str, delay_s: int, on: Queue | None = None) -> None:
    """Run the sweep once after delay_s seconds on rq's scheduler (on the worker's queue, if given)."""
    (on or queue()).enqueue_in(timedelta(seconds=delay_s), SCHEDULED_SWEEP, job_id=job_id, job_timeout=600,
                               result_ttl=3600, failure_ttl=7 * 24 * 3600)


def _enqueue(name: str, *args, **options) -> None:
    """Put a job on the app's queue, or run it now when there is no Redis.

    Inline failures are logged, not raised: the caller's data is already persisted and the
    periodic sweep picks it up again. (Inline, the job's module is imported in this process:
    that is the embedded default's one process doing everything.)
    """
    task_queue = current_app.task_queue
    if task_queue is not None:
        task_queue.enqueue(name, *args, **options)
        return
    module_name, _, attr = name.rpartition(".")
    try:
        getattr(importlib.import_module(module_name), attr)(*args)
    except Exception:
        log.exception("inline job %s%r failed; it will be retried by the sweep", name, args)
