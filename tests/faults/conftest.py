"""Fixtures for the chaos tests: private PostgreSQL and Redis servers, an app on them."""
from __future__ import annotations

import pytest

from tests.conftest import _truncate, base_config
from tests.faults.servers import PrivatePostgres, PrivateRedis


def pytest_collection_modifyitems(items):
    """Every test here is a fault test (see the `faults` marker)."""
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="module")
def private_pg():
    """A PostgreSQL cluster of this module's own, migrated with Alembic."""
    from flask_migrate import upgrade

    from ivr import create_app
    from ivr.extensions import db
    server = PrivatePostgres().start()
    import tempfile
    from pathlib import Path
    app = create_app(base_config(Path(tempfile.mkdtemp()), DATABASE_URL=server.url))
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()
    yield server
    server.stop()


@pytest.fixture
def private_redis():
    """A redis-server of this test's own, on a free port."""
    server = PrivateRedis().start()
    yield server
    server.stop()


@pytest.fixture
def pg_app(private_pg, tmp_path):
    """The app on the private cluster, jobs inline (thawed and emptied after the test)."""
    yield from _app_on(private_pg, tmp_path)


@pytest.fixture
def chaos_app(private_pg, private_redis, tmp_path):
    """The app on the private cluster and the private Redis (jobs queue there, unworked)."""
    yield from _app_on(private_pg, tmp_path, REDIS_URL=private_redis.url, RQ_QUEUE="chaos",
                       SHARE_MAX_ATTEMPTS=2, SHARE_RETRY_INTERVALS="1")


@pytest.fixture
def chaos_sim(chaos_app):
    """Twilio's stand-in, in-process, wired to the chaos app's telephony adapter."""
    from ivr.simulator import Simulator
    base = chaos_app.config["PUBLIC_BASE_URL"]
    simulator = Simulator.in_process(chaos_app, base_url=base)
    simulator.add_number(chaos_app.config["TWILIO_NUMBER"], base + "/voice/incoming",
                         status_callback=base + "/voice/status")
    yield simulator
    simulator.close()


def _app_on(private_pg, tmp_path, **extra):
    from ivr import create_app
    app = create_app(base_config(tmp_path, DATABASE_URL=private_pg.url, **extra))
    yield app
    private_pg.resume()
    _truncate(app)
