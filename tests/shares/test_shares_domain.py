"""ivr.shares.domain: idempotent receipt, processing states, the queue order, withdraw and delete."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import Share, ShareAudit
from ivr.storage import storage


@pytest.fixture
def app_config(redis_url):
    """Jobs go to a real Redis queue (nobody works it here), so states stay where the test put them."""
    return {"REDIS_URL": redis_url}


def receive(sid="RE1", **kw):
    """Receive one recording with sensible defaults."""
    args = dict(recording_sid=sid, call_sid="CA1", recording_url=f"https://api.twilio.test/{sid}",
                duration_s=30, caller_id=None, language="en", consent="library", disguise=True)
    args.update(kw)
    return shares.receive_recording(**args)


def test_receive_is_idempotent_on_recording_sid(app):
    with app.app_context():
        first = receive()
        again = receive()
        assert first.id == again.id
        assert first.status == "received" and len(first.reference) == 6 and first.reference.isdigit()
        assert db.session.execute(select(db.func.count(Share.id))).scalar_one() == 1
        from ivr.jobs import queue
        q = queue()
        assert q.job_ids == ["share-RE1"]  # enqueued once, by the request that created it
        job = q.fetch_job("share-RE1")
        assert job.func_name == "workers.share_pipeline.process_share" and job.args == (first.id,)


@pytest.mark.postgres_only
def test_concurrent_receipts_make_one_share(app):
    def worker(_):
        with app.app_context():
            share = receive("RE-race")
            ident = share.id
            db.session.remove()
            return ident
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(worker, range(16)))
    assert len(ids) == 1
    with app.app_context():
        assert db.session.execute(select(db.func.count(Share.id))).scalar_one() == 1


def test_private_consent_never_disguises(app):
    with app.app_context():
        share = receive(consent="private", disguise=True)
        assert (share.consent, share.disguise) == ("private", False)


def test_processing_then_queue_order(app):
    with app.app_context():
        low_old = receive("RE-a")
        high_new = receive("RE-b")
        mid = receive("RE-c")
        for share, prio in ((low_old, 1), (high_new, 70), (mid, 10)):
            assert shares.mark_processing(share.id).status == "processing"
            shares.record_processing_result(share.id, transcript={"words": []}, screening={}, tier="t",
                                            priority=prio, reasons=["r"], original_key=f"shares/{share.id}/o.wav")
        empty = receive("RE-d")
        shares.record_processing_result(empty.id, empty=True)
        listen = receive("RE-e")
        shares.mark_needs_listening(listen.id, "vosk: low confidence")
        db.session.commit()
        order = [s.recording_sid for s in shares.queue()]
        # needs_listening is unranked: behind crisis and high only, never last by default
        assert order == ["RE-b", "RE-e", "RE-c", "RE-a"]
        assert shares.get(empty.id).status == "empty"
        assert shares.get(low_old.id).attempts == 1


def test_failed_and_closed_shares_stop_processing(app):
    with app.app_context():
        share = receive()
        shares.mark_failed(share.id, "download: 404")
        assert shares.get(share.id).failure_reason == "download: 404"
        shares.withdraw(share.id)
        db.session.commit()
        assert shares.mark_processing(share.id) is None
        assert shares.get(share.id).status == "withdrawn"


def test_delete_removes_audio_transcript_and_copies_and_audits(app):
    with app.app_context():
        share = receive()
        store = storage()
        keys = [store.put(f"shares/{share.id}/{n}.wav", b"RIFF....") for n in ("original", "redacted", "disguised")]
        shares.record_processing_result(share.id, transcript={"words": [{"word": "hello"}]}, screening={"x": 1},
                                        original_key=keys[0], redacted_key=keys[1], disguised_key=keys[2])
        db.session.commit()
        shares.delete(share.id)
        db.session.commit()
        gone = shares.get(share.id)
        assert gone.status == "deleted"
        assert not any(store.exists(k) for k in keys)
        assert gone.transcript is None and gone.screening is None and gone.storage_keys() == []
        audit = db.session.execute(select(ShareAudit)).scalars().all()
        assert [(a.share_id, a.action, a.actor) for a in audit] == [(share.id, "deleted", "caller")]
        # deleting again is harmless, and a late processing result leaves no file behind
        shares.delete(share.id)
        late = store.put("shares/late.wav", b"x")
        assert shares.record_processing_result(share.id, original_key=late) is None
        assert not store.exists(late)


def test_pin_checks_and_never_locks_for_good(app):
    """Issue 13: the lock lives in ivr.guesses and expires; the PIN itself always verifies."""
    with app.app_context():
        share = receive(pin_hash=shares.hash_pin("4321"))
        assert share.pin_hash != "4321"
        assert shares.check_pin(share, "4321")
        for _ in range(12):
            assert not shares.check_pin(share, "0000")
        assert share.pin_failures == 12
        assert shares.check_pin(share, "4321")


def test_withdraw_and_delete_reach_the_published_story(app, client):
    from ivr.stories import domain as stories
    with app.app_context():
        share = receive("RE-pub", disguise=True)
        store = storage()
        original = store.put(f"shares/{share.id}/original.wav", b"RIFF-original")
        disguised = store.put(f"shares/{share.id}/disguised.wav", b"RIFF-disguised")
        shares.record_processing_result(share.id, original_key=original, disguised_key=disguised)
        shares.decide(share.id, "published", actor="staff:1")
        topic = stories.ensure_topic("grief", "2", {"en": "grief", "es": "duelo"})
        story = stories.publish_share(shares.get(share.id), topic, "A story about a garden")
        assert store.get(story.audio_key) == b"RIFF-disguised"  # the caller asked for a disguised voice
        db.session.commit()
        story_id, path, story_key, share_id = story.id, stories.audio_path(story), story.audio_key, share.id
    assert client.get(path).status_code == 200
    with app.app_context():
        shares.withdraw(share_id)
        db.session.commit()
    assert client.get(path).status_code == 404  # withdrawn: callers can no longer hear it
    with app.app_context():
        shares.delete(share_id, actor="staff:2")
        db.session.commit()
        from ivr.stories.models import Story
        story = db.session.get(Story, story_id)
        assert story.audio_key is None and not storage().exists(story_key)
        assert not storage().exists(original) and not storage().exists(disguised)
        actions = [(a.action, a.actor) for a in db.session.execute(select(ShareAudit).order_by(ShareAudit.id)).scalars()]
        assert actions == [("withdrawn", "caller"), ("deleted", "staff:2")]


def test_publishing_needs_library_consent_and_disguised_audio(app):
    from ivr.stories import domain as stories
    with app.app_context():
        topic = stories.ensure_topic("grief", "2", {"en": "grief", "es": "duelo"})
        private = receive("RE-private", consent="private")
        with pytest.raises(shares.ShareError):
            shares.decide(private.id, "published", actor="staff:1")
        with pytest.raises(stories.StoryError):
            stories.publish_share(private, topic, "t")
        wants_disguise = receive("RE-d2", disguise=True)
        key = storage().put("shares/x/original.wav", b"RIFF")
        shares.record_processing_result(wants_disguise.id, original_key=key)
        with pytest.raises(stories.StoryError):
            stories.publish_share(shares.get(wants_disguise.id), topic, "t")
        plain = receive("RE-plain", disguise=False)
        shares.record_processing_result(plain.id, original_key=storage().put("shares/y/original.wav", b"RIFF"))
        with pytest.raises(stories.StoryError, match="redacted"):
            stories.publish_share(shares.get(plain.id), topic, "t")  # never the unredacted original


def test_an_original_stored_after_deletion_is_removed(app):
    with app.app_context():
        share = receive("RE-late")
        shares.delete(share.id)
        db.session.commit()
        key = storage().put(f"shares/{share.id}/original.audio", b"late bytes")
        shares.record_original(share.id, key)
        assert not storage().exists(key) and shares.get(share.id).original_key is None
        live = receive("RE-live")
        key = storage().put(f"shares/{live.id}/original.audio", b"bytes")
        shares.record_original(live.id, key)
        assert shares.get(live.id).original_key == key and storage().exists(key)
