"""Shared fixtures: a real database migrated with Alembic, the app, a signing Twilio client.

The database is PostgreSQL unless PEERLINE_TEST_DATABASE_URL names another (the CI runs the
suite once more on SQLite). Tests never switch the signature check off: they sign.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from flask.testing import FlaskCliRunner as _FlaskCliRunner

from ivr import create_app
from ivr.cli.main import main as peerline
from ivr.extensions import db

TEST_TOKEN = "test-auth-token-0123456789abcdef"
TEST_SID = "AC" + "1" * 32
PUBLIC = "https://peerline.test"
DATABASE_URL = os.environ.get("PEERLINE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peerline_test")
REDIS_URL = os.environ.get("PEERLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IS_SQLITE = DATABASE_URL.startswith("sqlite")


def _fresh_database(url: str) -> None:
    """Create (or empty) the test database so Alembic migrates it from nothing."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
        return
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def base_config(tmp_path: Path, **extra) -> dict:
    """Test configuration: the test database, a temp storage dir, a known Twilio token."""
    config = {
        "TESTING": True,
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": "test-secret",
        "TWILIO_ACCOUNT_SID": TEST_SID,
        "TWILIO_AUTH_TOKEN": TEST_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "CRISIS_NUMBER": "+15550100988",
        "REDIS_URL": None,
        "WTF_CSRF_ENABLED": True,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Migrate the test database once per session with Alembic (as the release step does)."""
    from flask_migrate import upgrade
    _fresh_database(DATABASE_URL)
    app = create_app(base_config(tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()
    return DATABASE_URL


def _truncate(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if IS_SQLITE:
                for name in tables:
                    conn.execute(text(f'DELETE FROM "{name}"'))
            else:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in tables) + " RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def app_config(tmp_path):
    """Extra configuration a test module may override by redefining this fixture."""
    return {}


@pytest.fixture
def app(migrated_database, tmp_path, app_config):
    """The Peerline app on the migrated test database; tables are emptied after each test."""
    application = create_app(base_config(tmp_path, **app_config))
    yield application
    _truncate(application)


@pytest.fixture
def client(app):
    """An unsigned test client (for staff pages and to prove webhooks refuse it)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The CLI runner for `peerline` commands."""
    return cli_runner(app)


def cli_runner(app) -> FlaskCliRunner:
    """Flask's CLI test runner for `app`, invoking `peerline` (not the bare app.cli) by default."""
    return FlaskCliRunner(app, default_cli=peerline)


class FlaskCliRunner(_FlaskCliRunner):
    """Flask's CLI runner with a default command group."""

    def __init__(self, app, default_cli, **kwargs):
        super().__init__(app, **kwargs)
        self.default_cli = default_cli

    def invoke(self, cli=None, args=None, **kwargs):
        """Run a command (the default group unless one is given) against this runner's app."""
        return super().invoke(cli or self.default_cli, args, **kwargs)


class SigningClient:
    """Posts to webhooks the way Twilio does: form-encoded and signed with the auth token."""

    def __init__(self, app, token: str = TEST_TOKEN):
        self.client = app.test_client()
        self.validator = RequestValidator(token)
        self.base = app.config["PUBLIC_BASE_URL"]

    def post(self, path: str, data: dict | None = None, **kwargs):
        """POST form data to a path with a valid X-Twilio-Signature."""
        data = {k: v for k, v in (data or {}).items() if v is not None}
        signature = self.validator.compute_signature(self.base + path, data)
        headers = {"X-Twilio-Signature": signature, **kwargs.pop("headers", {})}
        return self.client.post(path, data=data, headers=headers, **kwargs)


@pytest.fixture
def twilio(app):
    """A client that signs its webhook requests like Twilio."""
    return SigningClient(app)


@pytest.fixture
def redis_url():
    """A real Redis database index reserved for tests, emptied before and after."""
    from redis import Redis
    conn = Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield REDIS_URL
    conn.flushdb()


@pytest.fixture
def sim(app):
    """The phone simulator (Twilio's stand-in) wired to the app in-process, strict about errors.

    The app's TWILIO_NUMBER rings /voice/incoming and reports hang-ups to /voice/status;
    ivr.telephony reaches the simulator's REST API through app.extensions.
    """
    from ivr.simulator import Simulator
    base = app.config["PUBLIC_BASE_URL"]
    simulator = Simulator.in_process(app, base_url=base)
    simulator.add_number(app.config["TWILIO_NUMBER"], base + "/voice/incoming", status_callback=base + "/voice/status")
    yield simulator
    simulator.close()


@pytest.fixture
def phone(sim):
    """Place a call: `phone("+15550101234", script=["1", "say stories"])` returns a driveable Call."""
    return sim.call
