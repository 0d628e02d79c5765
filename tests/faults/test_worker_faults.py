"""Chaos for real worker processes (issue 13): rq's scheduler is back soon after a Redis outage,
and a worker SIGKILLed mid-job loses no share and leaves no Twilio copy behind."""
from __future__ import annotations

import signal
from datetime import timedelta

from redis import Redis
from rq import Queue
from rq.job import Job

from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import Share
from tests.workers.pipeline_support import (add_twilio_recording, kill_group, korean_wav, make_share, start_worker,
                                            to_twilio_wav, wait_for)
from workers import sweep


def _log_has(path, text: str) -> bool:
    return path.exists() and text in path.read_text(errors="replace")


def test_rqs_scheduler_is_back_within_a_minute_of_redis(chaos_app, private_redis, tmp_path):
    log = tmp_path / "worker.log"
    proc = start_worker(chaos_app, "--no-sweep", log_path=log)
    try:
        wait_for(lambda: _log_has(log, "Scheduler for chaos started"), 120)
        private_redis.stop()
        wait_for(lambda: _log_has(log, "raised an exception"), 30)  # rq's scheduler process died
        private_redis.start()
        connection = Redis.from_url(private_redis.url)
        job = Queue("chaos", connection=connection).enqueue_in(
            timedelta(seconds=1), "ivr.shares.domain.forget_twilio_copy", 999999)
        # rq alone restarts its scheduler at the next 10-minute maintenance; ours once it sees Redis
        # again (it looks at least every 10 s while Redis is away).
        wait_for(lambda: Job.fetch(job.id, connection=connection).get_status() == "finished", 60, interval=0.5)
    finally:
        kill_group(proc)


def test_a_worker_killed_mid_job_loses_no_share(chaos_app, chaos_sim, tmp_path):
    api = chaos_sim.serve()  # the worker process reaches the simulated Twilio over HTTP
    log = tmp_path / "worker.log"
    with chaos_app.app_context():
        sid = add_twilio_recording(chaos_sim, to_twilio_wav(korean_wav(3, tmp_path / "speech")))
        share_id = make_share(recording_sid=sid, language="en")
        chaos_sim.faults.rest_latency_ms = 4000  # the fetch is slow: the kill lands mid-job
        shares.enqueue_processing(shares.get(share_id))
    proc = start_worker(chaos_app, "--no-sweep", log_path=log, TWILIO_API_BASE=api)
    try:
        with chaos_app.app_context():
            def processing():
                db.session.rollback()
                return db.session.get(Share, share_id).status == "processing"
            wait_for(processing, 90)
        kill_group(proc, signal.SIGKILL)
    finally:
        kill_group(proc)
    chaos_sim.faults.rest_latency_ms = 0
    with chaos_app.app_context():
        db.session.rollback()
        assert db.session.get(Share, share_id).status == "processing"  # stranded, not lost
        report = sweep.run(now=None, stuck_after=timedelta(0), heartbeat_grace=timedelta(0))
        assert share_id in report.requeued
    proc = start_worker(chaos_app, "--burst", "--no-sweep", log_path=tmp_path / "again.log", TWILIO_API_BASE=api)
    assert proc.wait(timeout=120) == 0
    with chaos_app.app_context():
        db.session.rollback()
        share = db.session.get(Share, share_id)
        assert share.original_key and share.twilio_deleted and chaos_sim.recordings.get(sid) is None
        assert share.status == "needs_listening"
