"""`python -m workers`: build the app, load the Vosk models, then run a forking rq worker.

The models are loaded in this (parent) process before rq forks a work horse per job, so every
horse shares their pages copy-on-write instead of loading ~250 MB per job (rq's performance
notes). The worker also runs rq's scheduler, which retries failed jobs after their backoff and
runs the periodic sweep. Any number of these, on any number of machines, can share one Redis.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from rq import Worker
from rq.worker_pool import WorkerPool

from ivr import create_app, jobs
from ivr.config import ConfigError
from ivr.extensions import db
from workers import context, sweep, vosk_models

log = logging.getLogger("workers")


def _dispose_engines(close: bool = True) -> None:
    """Drop pooled database connections; with close=False leave the parent's sockets alone."""
    with context.app_context():
        for engine in db.engines.values():
            engine.dispose(close=close)


class PeerlineWorker(Worker):
    """rq's forking Worker that never carries a database connection across a fork."""

    #: Keep the periodic sweep scheduled from this worker's maintenance (off with --no-sweep).
    peerline_sweep = True
    #: While Redis is away, look again at least this often (rq's default backs off to 60 s).
    max_connection_wait_time = 10.0

    def execute_job(self, job, queue):
        """Close the parent's pooled connections (it should hold none), then fork as usual."""
        _dispose_engines(close=True)
        super().execute_job(job, queue)

    def run_maintenance_tasks(self):
        """rq's periodic upkeep, plus: keep the sweep's schedule alive (any one worker does it)."""
        super().run_maintenance_tasks()
        if getattr(self, "peerline_sweep", False):
            try:
                with context.get_app().app_context():
                    sweep.ensure_scheduled(self.queues[0])
            except Exception:  # upkeep must never stop the worker
                self.log.exception("could not schedule the sweep")

    @property
    def should_run_maintenance_tasks(self):
        """rq's 10-minute upkeep, or at once when our scheduler process has died.

        A Redis outage kills rq's scheduler process; rq itself only restarts it at the next
        maintenance (up to 10 minutes), and retries and the sweep wait that long. The worker loop
        asks this after every dequeue attempt, so the scheduler is back as soon as Redis is.
        """
        if super().should_run_maintenance_tasks:
            return True
        scheduler = self.scheduler
        process = getattr(scheduler, "_process", None) if scheduler else None
        return bool(self.last_cleaned_at and process is not None and not process.is_alive())

    def main_work_horse(self, job, queue):
        """In the forked horse: forget inherited pool entries, then run the job in the app."""
        # close=False: the sockets belong to the parent; closing them here would break its
        # connections (SQLAlchemy's "using connection pools with multiprocessing" advice).
        _dispose_engines(close=False)
        with context.get_app().app_context():
            super().main_work_horse(job, queue)


def build_parser() -> argparse.ArgumentParser:
    """Command-line options of `python -m workers`."""
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="work until the queue is empty, then quit")
    parser.add_argument("--name", help="worker name (default: rq's host.pid-based one)")
    parser.add_argument("--queue", help="queue to listen on (default: RQ_QUEUE)")
    parser.add_argument("--preload", action="append", default=[], metavar="LANG",
                        help="also load the model for this language before forking (repeatable)")
    parser.add_argument("--max-jobs", type=int, help="quit after this many jobs")
    parser.add_argument("--max-idle-time", type=int, help="quit after this many idle seconds")
    parser.add_argument("--no-sweep", action="store_true", help="do not schedule the periodic sweep")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="fork N workers from this process (rq's WorkerPool), all sharing the loaded models")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one worker until stopped (or until the queue is empty with --burst)."""
    args = build_parser().parse_args(argv)
    try:
        app = create_app()
    except ConfigError as exc:
        print(f"peerline worker: {exc}", file=sys.stderr)
        return 2
    context.set_app(app)
    config = app.config
    if not config["REDIS_URL"]:
        print("REDIS_URL is not set: the worker needs Redis (without it the web runs jobs inline)", file=sys.stderr)
        return 2
    extra = tuple(args.preload) + tuple(app.extensions["peerline.flows"].prompts.languages)
    loaded = vosk_models.preload(config, extra)
    log.info("Vosk models loaded before forking: %s", ", ".join(loaded) or "none")

    # Building the app may have touched the database; nothing pooled may survive into a fork.
    _dispose_engines(close=True)
    # The app's own Redis connection: redis-py's pool starts afresh in each forked child.
    queue = jobs.worker_queue(app, args.queue)
    connection = queue.connection
    if not args.no_sweep:
        with app.app_context():
            sweep.ensure_scheduled(queue)
    PeerlineWorker.peerline_sweep = not args.no_sweep
    level = config["LOG_LEVEL"]
    if args.workers > 1:
        # The pool forks its workers from this process, so the models loaded above are shared
        # by all N of them and by every work horse they fork in turn.
        WorkerPool([queue], connection=connection, num_workers=args.workers,
                   worker_class=PeerlineWorker).start(burst=args.burst, logging_level=level)
        return 0
    worker = PeerlineWorker([queue], connection=connection, name=args.name)
    worker.work(
        burst=args.burst,
        with_scheduler=True,
        max_jobs=args.max_jobs,
        max_idle_time=args.max_idle_time,
        logging_level=level,
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
