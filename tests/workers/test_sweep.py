"""workers.sweep: stranded shares are enqueued again (only when their job is really gone), Twilio's
leftover copies are deleted, audio past retention is purged; the sweep keeps itself scheduled."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from ivr import jobs
from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import Share, ShareAudit
from ivr.storage import storage
from tests.workers.pipeline_support import make_share
from workers import sweep

pytestmark = pytest.mark.redis

LATER = datetime.now(timezone.utc) + timedelta(hours=1)


@pytest.fixture
def app_config(redis_url):
    return {"REDIS_URL": redis_url, "RQ_QUEUE": "sweep-test", "SHARE_RETENTION_DAYS": 30}


def _queue(app) -> Queue:
    return Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))


def _job_id(share_id: int) -> str:
    return jobs.share_job_id(shares.get(share_id).recording_sid)


def test_a_share_stranded_in_received_is_enqueued_with_retries_and_a_timeout_for_its_length(app):
    with app.app_context():
        share_id = make_share(duration_s=60)  # as if Redis had been down at callback time
        assert _queue(app).count == 0

        report = sweep.run(now=LATER)

        assert report.requeued == [share_id]
        job = Job.fetch(_job_id(share_id), connection=_queue(app).connection)
        assert job.func_name == "workers.share_pipeline.process_share"
        assert job.args == (share_id,)
        assert job.get_status() == "queued"
        assert job.retries_left == 3 and job.retry_intervals == [30, 120, 600]
        assert job.timeout == 120 + 4 * 60
        assert _queue(app).count == 1


def test_young_shares_and_shares_whose_job_is_waiting_are_left_alone(app):
    with app.app_context():
        young = make_share()
        waiting = make_share()
        shares.enqueue_processing(shares.get(waiting))

        report = sweep.run(now=datetime.now(timezone.utc) + timedelta(minutes=1))
        assert report.requeued == []  # both younger than ten minutes

        report = sweep.run(now=LATER)
        assert report.requeued == [young]
        assert report.still_running == [waiting]
        assert _queue(app).count == 2  # not enqueued twice


def test_a_started_job_counts_as_lost_only_once_its_heartbeat_is_stale(app):
    with app.app_context():
        share_id = make_share()
        shares.mark_processing(share_id)
        db.session.commit()
        shares.enqueue_processing(shares.get(share_id))
        connection = _queue(app).connection
        job = Job.fetch(_job_id(share_id), connection=connection)
        # What a worker writes when it starts the job; this worker then dies (no more heartbeats).
        job.set_status("started")
        job.heartbeat(datetime.now(timezone.utc), ttl=60)
        _queue(app).remove(job)

        fresh = sweep.run(now=LATER, heartbeat_grace=timedelta(seconds=120))
        assert fresh.still_running == [share_id] and fresh.requeued == []

        job.heartbeat(datetime.now(timezone.utc) - timedelta(minutes=5), ttl=60)
        stale = sweep.run(now=LATER, heartbeat_grace=timedelta(seconds=120))
        assert stale.requeued == [share_id]
        assert Job.fetch(job.id, connection=connection).get_status() == "queued"


def test_processed_and_decided_shares_are_never_enqueued_again(app):
    with app.app_context():
        done = make_share()
        shares.mark_processing(done)
        shares.record_processing_result(done, tier="clean", priority=0)
        gone = make_share()
        shares.withdraw(gone)
        db.session.commit()

        report = sweep.run(now=LATER)

        assert report.requeued == [] and _queue(app).count == 0


def test_audio_past_retention_is_purged_but_published_and_recent_shares_keep_theirs(app):
    with app.app_context():
        store = storage()
        old = make_share(audio=b"RIFF-old")
        recent = make_share(audio=b"RIFF-recent")
        published = make_share(audio=b"RIFF-published")
        shares.mark_processing(published)
        shares.record_processing_result(published, tier="clean", priority=0)
        shares.decide(published, "published", "moderator@example.org")
        db.session.commit()
        keys = {sid: shares.get(sid).original_key for sid in (old, recent, published)}

        report = sweep.run(now=datetime.now(timezone.utc) + timedelta(days=31), stuck_after=timedelta(days=400))

        assert report.purged == [old, recent]
        assert report.requeued == []
        for purged in (old, recent):
            share = db.session.get(Share, purged)
            assert share.status == "deleted" and share.original_key is None and share.transcript is None
            assert not store.exists(keys[purged])
        assert store.exists(keys[published]) and db.session.get(Share, published).status == "published"
        audits = db.session.execute(db.select(ShareAudit).filter_by(share_id=old)).scalars().all()
        assert [(a.action, a.actor) for a in audits] == [("deleted", "retention")]

        # Within retention nothing is touched.
        fresh = make_share(audio=b"RIFF-fresh")
        assert sweep.run(now=datetime.now(timezone.utc), stuck_after=timedelta(days=1)).purged == []
        assert store.exists(shares.get(fresh).original_key)


def test_ensure_scheduled_keeps_exactly_one_sweep_pending_however_many_workers_ask(app):
    with app.app_context():
        queue = _queue(app)
        first = sweep.ensure_scheduled(queue, delay_s=60)
        second = sweep.ensure_scheduled(queue, delay_s=60)
        assert first is not None and second is None
        registry = ScheduledJobRegistry(queue=queue)
        assert registry.get_job_ids() == [first]
        assert Job.fetch(first, connection=queue.connection).func_name == jobs.SCHEDULED_SWEEP


def test_the_scheduled_sweep_job_sweeps_then_chains_the_next_one(app):
    with app.app_context():
        queue = _queue(app)
        stranded = make_share()
        db.session.execute(db.update(Share).where(Share.id == stranded)
                           .values(created_at=datetime.now(timezone.utc) - timedelta(hours=1)))
        db.session.commit()
        first = sweep.ensure_scheduled(queue, delay_s=0)
        from rq.scheduler import RQScheduler
        scheduler = RQScheduler([queue], connection=queue.connection)
        scheduler.acquire_locks()
        scheduler.enqueue_scheduled_jobs()  # what the worker's scheduler does when the time comes
        scheduler.release_locks()

        from rq import SimpleWorker  # in-process: this test is about the chain, not forking
        SimpleWorker([queue], connection=queue.connection).work(burst=True, max_jobs=1)

        assert Job.fetch(first, connection=queue.connection).get_status() == "finished"
        assert Job.fetch(_job_id(stranded), connection=queue.connection).get_status() == "queued"
        pending = ScheduledJobRegistry(queue=queue).get_job_ids()
        assert len(pending) == 1 and pending[0] != first
        assert queue.connection.get(sweep.CHAIN_KEY).decode() == pending[0]


def test_peerline_sweep_command_reports_what_it_did(app, runner):
    with app.app_context():
        share_id = make_share()
        db.session.execute(db.update(Share).where(Share.id == share_id)
                           .values(created_at=datetime.now(timezone.utc) - timedelta(hours=1)))
        db.session.commit()
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "re-enqueued 1," in result.output
    assert _queue(app).count == 1


def test_twilio_copies_left_behind_are_deleted_by_the_sweep(app, sim):
    from tests.workers.pipeline_support import add_twilio_recording
    with app.app_context():
        sid = add_twilio_recording(sim, b"RIFF....WAVE")
        share_id = make_share(recording_sid=sid, audio=b"RIFF-ours", twilio_deleted=False)
        shares.mark_processing(share_id)
        shares.record_processing_result(share_id, tier="clean", priority=0)
        db.session.commit()
        sim.faults.rest_fail_next = 1  # the first sweep finds Twilio unavailable: no harm done

        assert sweep.run(now=LATER).twilio_forgotten == []
        assert sim.recordings.get(sid) is not None

        assert sweep.run(now=LATER).twilio_forgotten == [share_id]
        assert sim.recordings.get(sid) is None and shares.get(share_id).twilio_deleted
        assert sweep.run(now=LATER).twilio_forgotten == []
