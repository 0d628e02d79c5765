"""Enqueue background jobs by dotted name: on Redis with rq, or inline when no Redis is configured.

The web process never imports workers/: jobs are named, not imported (microblog's pattern).
"""
from __future__ import annotations

import importlib
import logging

from flask import current_app

log = logging.getLogger(__name__)


def redis_connection():
    """A Redis connection for the configured REDIS_URL."""
    from redis import Redis
    return Redis.from_url(current_app.config["REDIS_URL"])


def queue():
    """The rq queue Peerline's workers listen on."""
    from rq import Queue
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def enqueue(func_name: str, *args, job_id: str | None = None, **options):
    """Run `func_name(*args)` in the background: rq with Redis, inline without.

    Inline failures are logged, not raised: the caller's data is already persisted and
    the periodic sweep picks it up again.
    """
    if current_app.config["REDIS_URL"]:
        return queue().enqueue(func_name, *args, job_id=job_id, **options)
    module_name, _, attr = func_name.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)(*args)
    except Exception:
        log.exception("inline job %s%r failed; it will be retried by the sweep", func_name, args)
        return None
