"""`python -m workers` as real processes on real Redis and the test database: burst runs, a pool of
forked workers, retries with backoff on rq's scheduler, and a worker SIGKILLed mid-job.

Twilio is the phone simulator, served over HTTP so the worker processes reach it as they would Twilio.
"""
from __future__ import annotations

import signal
from datetime import datetime, timedelta, timezone

import pytest
from redis import Redis
from rq.job import Job

from ivr import jobs
from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import Share
from tests.workers.pipeline_support import (
    add_twilio_recording, korean_wav, kill_group, make_share, run_burst_worker, start_worker, to_twilio_wav, wait_for,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(redis_url):
    return {"REDIS_URL": redis_url, "RQ_QUEUE": "workers-test", "SHARE_RETRY_INTERVALS": "1"}


@pytest.fixture
def api_base(sim):
    """The simulator's REST API over HTTP, for the worker processes."""
    return sim.serve()


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Korean speech as Twilio recordings: a short one and a minute-long one."""
    workdir = tmp_path_factory.mktemp("speech")
    return {"short": to_twilio_wav(korean_wav(8, workdir)), "long": to_twilio_wav(korean_wav(60, workdir, seed=2))}


def _fresh(share_id: int) -> Share:
    db.session.expire_all()
    return db.session.get(Share, share_id)


def _status(share_id: int) -> str:
    db.session.rollback()  # see other processes' commits
    return _fresh(share_id).status


def _enqueue(share_id: int) -> str:
    share = shares.get(share_id)
    shares.enqueue_processing(share)
    return jobs.share_job_id(share.recording_sid)


def test_a_burst_worker_fetches_transcribes_and_queues_a_share_in_a_forked_horse(app, sim, api_base, recordings, tmp_path):
    with app.app_context():
        sid = add_twilio_recording(sim, recordings["short"])
        share_id = make_share(recording_sid=sid, duration_s=8)
        job_id = _enqueue(share_id)
        log = tmp_path / "worker.log"

        assert run_burst_worker(app, log_path=log, TWILIO_API_BASE=api_base) == 0

        output = log.read_text()
        share = _fresh(share_id)
        assert share.status == "needs_listening", output
        assert share.transcript["words"] and all(w["end"] > w["start"] for w in share.transcript["words"])
        assert share.twilio_deleted and sim.recordings.get(sid) is None
        assert "Vosk models loaded before forking: ko" in output
        # Loaded once, in the parent, before it listened; the horse that ran the job reused it.
        assert output.count("loaded Vosk model for ko") == 1
        assert output.index("loaded Vosk model for ko") < output.index("Listening on")
        job = Job.fetch(job_id, connection=Redis.from_url(app.config["REDIS_URL"]))
        assert job.get_status() == "finished"
        assert job.worker_name and "needs_listening" in job.return_value()


def test_a_pool_of_two_workers_shares_the_queue(app, sim, api_base, recordings, tmp_path):
    with app.app_context():
        ids = [make_share(audio=recordings["short"]) for _ in range(4)]
        job_ids = [_enqueue(i) for i in ids]
        log = tmp_path / "pool.log"

        assert run_burst_worker(app, "--workers", "2", log_path=log, TWILIO_API_BASE=api_base) == 0

        assert [_fresh(i).status for i in ids] == ["needs_listening"] * 4, log.read_text()
        connection = Redis.from_url(app.config["REDIS_URL"])
        workers = {Job.fetch(j, connection=connection).worker_name for j in job_ids}
        assert len(workers) == 2, "both pool workers should have taken jobs"


def test_a_transient_twilio_error_is_retried_after_its_backoff_by_the_workers_scheduler(app, sim, api_base, recordings, tmp_path):
    with app.app_context():
        sid = add_twilio_recording(sim, recordings["short"])
        share_id = make_share(recording_sid=sid)
        job_id = _enqueue(share_id)
        sim.faults.rest_fail_next = 1
        sim.faults.rest_error_status = 503
        log = tmp_path / "worker.log"

        proc = start_worker(app, "--no-sweep", "--max-idle-time", "6", log_path=log, TWILIO_API_BASE=api_base)
        try:
            assert proc.wait(timeout=120) == 0
        finally:
            kill_group(proc)

        share = _fresh(share_id)
        assert share.status == "needs_listening", log.read_text()
        assert share.attempts == 2 and share.transcript["words"]
        job = Job.fetch(job_id, connection=Redis.from_url(app.config["REDIS_URL"]))
        assert job.get_status() == "finished" and job.retries_left == 2  # one of three retries used
        assert "fetch recording: HTTP 503" in log.read_text()


def test_a_worker_killed_mid_job_loses_nothing_the_sweep_hands_the_share_to_another(app, sim, api_base, recordings, tmp_path):
    from workers import sweep
    with app.app_context():
        sid = add_twilio_recording(sim, recordings["long"])
        share_id = make_share(recording_sid=sid, duration_s=60)
        job_id = _enqueue(share_id)
        proc = start_worker(app, "--no-sweep", log_path=tmp_path / "killed.log", TWILIO_API_BASE=api_base)
        try:
            # Stored and forgotten at Twilio: the horse is now decoding or inside Vosk.
            wait_for(lambda: _status(share_id) == "processing" and _fresh(share_id).twilio_deleted, timeout=60)
        finally:
            kill_group(proc, signal.SIGKILL)  # the worker and its work horse, mid-job
        assert proc.returncode == -signal.SIGKILL
        assert _status(share_id) == "processing"
        connection = Redis.from_url(app.config["REDIS_URL"])
        assert Job.fetch(job_id, connection=connection).get_status() == "started"  # rq still thinks so

        # While the dead worker's heartbeat is fresh, the sweep waits; once it is stale, it re-enqueues.
        later = datetime.now(timezone.utc) + timedelta(hours=1)
        assert sweep.run(now=later, heartbeat_grace=timedelta(minutes=5)).still_running == [share_id]
        assert sweep.run(now=later, heartbeat_grace=timedelta(seconds=0)).requeued == [share_id]

        log = tmp_path / "rescue.log"
        assert run_burst_worker(app, log_path=log, TWILIO_API_BASE=api_base) == 0

        share = _fresh(share_id)
        assert share.status == "needs_listening", log.read_text()
        assert share.attempts == 2
        assert len(share.transcript["words"]) > 20
        assert share.transcript["words"][-1]["end"] > 45  # the whole minute was transcribed
        assert sim.recordings.by_sid[sid].fetches == 1  # the rescue used the stored copy
