"""Shared set-up for the worker benchmarks: a fresh migrated database, Redis, storage, Korean shares.

Every benchmark prints figures; none is a timed test. Defaults use their own PostgreSQL database
and Redis index so they can run beside the test suite.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peerline_bench_workers")
DEFAULT_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
SPEECH_DIR = Path(tempfile.gettempdir()) / "peerline-bench-speech"


def make_app(database_url: str = DEFAULT_DB, redis_url: str | None = DEFAULT_REDIS, **extra):
    """A Peerline app on a freshly migrated database with its own storage directory."""
    from flask_migrate import upgrade
    from redis import Redis
    from ivr import create_app
    from ivr.extensions import db
    from tests.conftest import _fresh_database

    _fresh_database(database_url)
    if redis_url:
        Redis.from_url(redis_url).flushdb()
    storage = tempfile.mkdtemp(prefix="peerline-bench-storage-")
    config = {
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "STORAGE_DIR": storage,
        "SECRET_KEY": "bench-secret", "TWILIO_AUTH_TOKEN": "bench-token-0123456789",
        "TWILIO_ACCOUNT_SID": "AC" + "3" * 32, "PUBLIC_BASE_URL": "https://peerline.test",
        "RQ_QUEUE": "bench", "LOG_LEVEL": "WARNING", **extra,
    }
    app = create_app(config)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()
    return app


def korean_recording(seconds: float, seed: int = 0) -> bytes:
    """Korean espeak-ng speech as Twilio stores it (8 kHz μ-law WAV)."""
    from tests.workers.pipeline_support import korean_wav, to_twilio_wav
    return to_twilio_wav(korean_wav(seconds, SPEECH_DIR, seed=seed))


def stored_share(app, wav: bytes, language: str = "ko", **kwargs) -> int:
    """A received share whose original is already in storage (no Twilio round trip)."""
    from tests.workers.pipeline_support import make_share
    with app.app_context():
        return make_share(audio=wav, language=language, **kwargs)


def summary(values: list[float]) -> str:
    """median (min-max) of a few timings."""
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def machine_note() -> str:
    """A line about the machine, since every figure here depends on it."""
    load = os.getloadavg()
    return (f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            "other engineers' test runs share these cores, so expect noise of 10-30%")
