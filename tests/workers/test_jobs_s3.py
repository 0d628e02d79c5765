"""The share job on S3 (moto's S3 server, a stand-in): an object store that cannot be reached is a
transient failure retried like any other, and the share and Twilio's copy are kept until it works."""
from __future__ import annotations

import pytest

from ivr.extensions import db
from ivr.shares.models import Share
from ivr.storage import storage
from ivr.storage_s3 import S3Storage
from tests.s3_stand_in import free_port, s3_stand_in  # noqa: F401 - moto's S3 server
from tests.workers.pipeline_support import add_twilio_recording, korean_wav, make_share, to_twilio_wav
from workers import share_pipeline as jobs


@pytest.fixture
def app_config(s3_stand_in):
    return {"STORAGE_URL": f"s3://{s3_stand_in.new_bucket()}/jobs", "SHARE_MAX_ATTEMPTS": 3}


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    return to_twilio_wav(korean_wav(6, tmp_path_factory.mktemp("speech")))


def test_an_unreachable_store_is_retried_and_loses_nothing(app, sim, recording, s3_stand_in):
    import boto3
    with app.app_context():
        good = storage()
        assert isinstance(good, S3Storage)
        dead = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{free_port()}", region_name="us-east-1")
        app.extensions["peerline.storage"] = S3Storage(good.bucket, good.prefix, client=dead)
        sid = add_twilio_recording(sim, recording)
        share_id = make_share(recording_sid=sid, duration_s=6)

        with pytest.raises(jobs.Transient, match="AWS_ENDPOINT_URL_S3: cannot reach"):
            jobs.process_share(share_id)

        db.session.expire_all()
        share = db.session.get(Share, share_id)
        assert share.status == "processing" and share.attempts == 1 and share.original_key is None
        assert not share.twilio_deleted and sim.recordings.get(sid) is not None  # Twilio's copy is kept

        app.extensions["peerline.storage"] = good  # the store is back: the retry finishes the job
        assert "needs_listening" in jobs.process_share(share_id)
        db.session.expire_all()
        share = db.session.get(Share, share_id)
        assert share.attempts == 2 and share.transcript["words"]
        assert good.get(share.original_key) == recording
        assert share.twilio_deleted and sim.recordings.get(sid) is None


def test_deleting_a_share_deletes_every_object_of_it_in_the_bucket(app, recording, s3_stand_in):
    from ivr.shares import domain as shares
    from ivr.stories import domain as stories
    with app.app_context():
        store = storage()
        share_id = make_share(audio=recording)
        share = db.session.get(Share, share_id)
        share.redacted_key = store.put(f"shares/{share_id}/redacted.wav", recording)
        share.disguised_key = store.put(f"shares/{share_id}/disguised.wav", recording)
        topic = stories.ensure_topic("hope", "1", {"en": "hope", "es": "esperanza"})
        stories.add_story(topic, "A walk", "en", recording, 6, share_id=share_id)
        db.session.commit()
        listing = s3_stand_in.client().list_objects_v2(Bucket=store.bucket)
        assert listing["KeyCount"] == 4  # original, redacted, disguised, story audio

        shares.delete(share_id)
        db.session.commit()

        assert s3_stand_in.client().list_objects_v2(Bucket=store.bucket)["KeyCount"] == 0


def test_an_undecodable_copy_on_s3_is_replaced_from_twilios_copy(app, sim, recording):
    """Issue 13's "delete Twilio's copy only after ours decodes", on the S3 backend."""
    with app.app_context():
        store = storage()
        sid = add_twilio_recording(sim, recording)
        share_id = make_share(recording_sid=sid, duration_s=6)
        key = jobs.original_key_for(db.session.get(Share, share_id))
        store.put(key, b"RIFF\x00\x00garbage")  # a bad download already stored: ours does not decode
        from ivr.shares import domain as shares
        shares.record_original(share_id, key)
        db.session.commit()

        with pytest.raises(jobs.Transient, match="did not decode"):
            jobs.process_share(share_id)
        db.session.expire_all()
        share = db.session.get(Share, share_id)
        assert share.original_key is None and not store.exists(key)  # dropped from the bucket
        assert not share.twilio_deleted and sim.recordings.get(sid) is not None  # Twilio's copy kept

        assert "needs_listening" in jobs.process_share(share_id)  # the retry fetches Twilio's copy again
        db.session.expire_all()
        share = db.session.get(Share, share_id)
        assert store.get(share.original_key) == recording and share.duration_s >= 5
        assert share.twilio_deleted and sim.recordings.get(sid) is None
