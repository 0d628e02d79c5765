"""Chaos for the share pipeline (issue 13): Redis stopped and restarted, storage unwritable,
Twilio's REST API failing, a malformed row, odd Twilio ids. The promises: no share lost, no
Twilio copy left behind, and nothing retried forever that can never work."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

from ivr.shares import spool as callback_spool
from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import Share
from ivr.storage import storage
from tests.conftest import SigningClient
from tests.workers.pipeline_support import add_twilio_recording, korean_wav, make_share, to_twilio_wav
from workers import sweep
from workers import share_pipeline as jobs

LATER = datetime.now(timezone.utc) + timedelta(hours=1)


def _wav(tmp_path) -> bytes:
    return to_twilio_wav(korean_wav(3, tmp_path / "speech"))


def _fresh(share_id: int) -> Share:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Share, share_id)


def _run_the_retry(share_id: int) -> None:
    """Run the job the retry queued, as a worker would (the chaos app's queue is unworked)."""
    from ivr.jobs import queue
    (job,) = [j for j in queue().jobs if "-retry-" in j.id and j.args[0] == share_id]
    assert job.func_name == "workers.share_pipeline.process_share" and job.args == (share_id, True)  # forced: from any state
    job.perform()


def test_a_discard_while_redis_is_down_leaves_no_twilio_copy(chaos_app, chaos_sim, private_redis, tmp_path):
    with chaos_app.app_context():
        sid = add_twilio_recording(chaos_sim, _wav(tmp_path))
        share_id = make_share(recording_sid=sid, language="en")
        private_redis.stop()
        shares.discard(share_id)  # the caller discards at the review menu: must not fail the call
        db.session.commit()
        assert _fresh(share_id).status == "discarded" and chaos_sim.recordings.get(sid) is not None
        private_redis.start()
        report = sweep.run(now=LATER)
        assert share_id in report.twilio_forgotten
        assert chaos_sim.recordings.get(sid) is None and _fresh(share_id).twilio_deleted


def test_storage_unwritable_after_every_retry_is_retried_by_the_sweep(chaos_app, chaos_sim, tmp_path):
    """Storage made unwritable (even for root: a file where the directory should be)."""
    store_dir = chaos_app.config["STORAGE_DIR"]
    with chaos_app.app_context():
        sid = add_twilio_recording(chaos_sim, _wav(tmp_path))
        share_id = make_share(recording_sid=sid, language="en")
        shutil.rmtree(store_dir, ignore_errors=True)
        open(store_dir, "w").close()
        for _ in range(2):  # SHARE_MAX_ATTEMPTS
            try:
                jobs.process_share(share_id)
            except jobs.Transient:
                pass
        share = _fresh(share_id)
        assert share.status == "needs_listening" and share.retry_after is not None
        assert chaos_sim.recordings.get(sid) is not None  # Twilio's copy is the only one: kept
        assert shares.retryable(share)
        import os
        os.unlink(store_dir)  # storage is back
        report = sweep.run(now=share.retry_after + timedelta(seconds=1))
        share = _fresh(share_id)
        # The same path as a moderator's Retry: it stays in the queue, with fresh attempts, until the job runs.
        assert report.retried == [share_id] and share.status == "needs_listening"
        assert share.attempts == 0 and share.retry_after is None
        _run_the_retry(share_id)
        share = _fresh(share_id)
        assert share.original_key and storage().exists(share.original_key)
        assert share.status == "needs_listening" and share.twilio_deleted  # no Vosk model for en here
        assert chaos_sim.recordings.get(sid) is None


def test_twilio_rest_failing_keeps_the_share_and_retries(chaos_app, chaos_sim, tmp_path):
    with chaos_app.app_context():
        sid = add_twilio_recording(chaos_sim, _wav(tmp_path))
        share_id = make_share(recording_sid=sid, language="en")
        chaos_sim.faults.rest_error_rate = 1.0  # Twilio's API answers 500 to everything
        for _ in range(2):
            try:
                jobs.process_share(share_id)
            except jobs.Transient:
                pass
        share = _fresh(share_id)
        assert share.retry_after is not None and not share.twilio_deleted
        chaos_sim.faults.rest_error_rate = 0.0
        assert sweep.run(now=share.retry_after + timedelta(seconds=1)).retried == [share_id]
        _run_the_retry(share_id)
        share = _fresh(share_id)
        assert share.original_key and share.twilio_deleted and chaos_sim.recordings.get(sid) is None


def test_twilios_copy_is_deleted_only_after_ours_decodes(chaos_app, chaos_sim, tmp_path):
    with chaos_app.app_context():
        sid = add_twilio_recording(chaos_sim, _wav(tmp_path))
        share_id = make_share(recording_sid=sid, language="en")
        # A bad download already stored (truncated): ours does not decode.
        key = jobs.original_key_for(shares.get(share_id))
        storage().put(key, b"RIFF\x00\x00garbage")
        shares.record_original(share_id, key)
        db.session.commit()
        try:
            jobs.process_share(share_id)
        except jobs.Transient:
            pass
        assert chaos_sim.recordings.get(sid) is not None  # kept: ours did not decode
        jobs.process_share(share_id)  # the retry fetches Twilio's copy again
        share = _fresh(share_id)
        assert share.twilio_deleted and chaos_sim.recordings.get(sid) is None
        assert share.duration_s and share.duration_s >= 2


def test_one_malformed_row_does_not_stop_the_sweep(chaos_app):
    with chaos_app.app_context():
        bad, good = make_share(), make_share()
        old = datetime.now(timezone.utc) - timedelta(days=400)
        for share_id in (bad, good):
            share = shares.get(share_id)
            share.created_at = old
        shares.get(bad).original_key = "../../outside"  # a key storage refuses
        good_key = "shares/good/original.audio"
        storage().put(good_key, b"audio")
        shares.get(good).original_key = good_key
        db.session.commit()
        report = sweep.run()
        assert report.skipped == [bad] and report.purged == [good]
        assert _fresh(good).status == "deleted" and not storage().exists(good_key)
        assert _fresh(bad).status != "deleted"
        assert sweep.run().purged == []  # later sweeps still run (and skip it again)


def test_odd_recording_sids_get_400_and_nothing_stored(chaos_app):
    twilio = SigningClient(chaos_app)
    for odd in ("RE/../x", "RE..", "RE" + "é" * 4, "RE" + "a" * 40, "../RE1", ""):
        response = twilio.post("/voice/shares/recording", {"CallSid": "CA" + "0" * 32, "RecordingSid": odd,
                                                           "RecordingStatus": "completed"})
        assert response.status_code == 400, odd
    response = twilio.post("/voice/circles/conference", {"ConferenceSid": "CF/../x", "StatusCallbackEvent": "join"})
    assert response.status_code == 400
    with chaos_app.app_context():
        assert db.session.query(Share).count() == 0
        assert not callback_spool.spool_dir().exists() or not list(callback_spool.spool_dir().glob("*.json"))


def test_a_spooled_callback_that_can_never_replay_is_moved_aside(chaos_app):
    with chaos_app.app_context():
        folder = callback_spool.spool_dir()
        folder.mkdir(parents=True)
        (folder / "REbroken.json").write_text("{not json")
        (folder / "REodd.json").write_text(json.dumps({"draft": "", "form": {"RecordingSid": "RE/.."}}))
        assert callback_spool.replay() == 0
        assert not list(folder.glob("*.json"))
        assert sorted(p.name for p in (folder / "rejected").iterdir()) == ["REbroken.json", "REodd.json"]
        assert callback_spool.replay() == 0
