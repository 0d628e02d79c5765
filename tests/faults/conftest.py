"""Fixtures for the chaos tests: private PostgreSQL and Redis servers, an app on them."""
from __future__ import annotations

import pytest

from tests.conftest import base_config
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
    """The app on the private cluster (thawed and emptied after the test)."""
    from sqlalchemy import text

    from ivr import create_app
    from ivr.extensions import db
    app = create_app(base_config(tmp_path, DATABASE_URL=private_pg.url))
    yield app
    private_pg.resume()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()
