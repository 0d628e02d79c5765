"""Shared set-up for the benchmarks: a fresh migrated database, Redis, storage, Korean shares, workers.

Every benchmark prints figures; none is a timed test. Defaults use their own PostgreSQL database
and Redis index so they can run beside the test suite. The benchmarks use Peerline's public code
(ivr, workers) and these helpers only, never the test suite's: run them from the project's
virtualenv (`.venv/bin/python bench/NAME.py`), where Peerline is installed.
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # the interpreter running the benchmark also runs its workers
DEFAULT_DB = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peerline_bench_workers")
DEFAULT_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
SPEECH_DIR = Path(tempfile.gettempdir()) / "peerline-bench-speech"

KOREAN_SENTENCES = [
    "안녕하세요. 오늘은 날씨가 좋아서 공원에 산책을 갔습니다.",
    "친구와 함께 점심을 먹고 이야기를 많이 나누었어요.",
    "요즘 회사 일이 많아서 조금 피곤하지만 괜찮습니다.",
    "저녁에는 가족과 함께 텔레비전을 보면서 쉬었습니다.",
    "내일은 아침 일찍 일어나서 운동을 하려고 합니다.",
    "모임에 오시는 분들께 감사하다는 말씀을 드리고 싶어요.",
]


def fresh_database(url: str) -> None:
    """Create the benchmark's database if needed and empty it (a SQLite file is deleted)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
        return
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first():
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(database_url: str = DEFAULT_DB, redis_url: str | None = DEFAULT_REDIS, **extra):
    """A Peerline app on a freshly migrated database with its own storage directory."""
    from flask_migrate import upgrade
    from redis import Redis
    from ivr import create_app
    from ivr.extensions import db

    fresh_database(database_url)
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


def _run(*command: str, stdin: bytes | None = None) -> bytes:
    """Run a tool, return its stdout; fail loudly with its stderr."""
    result = subprocess.run(list(command), input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {result.stderr.decode(errors='replace')[-500:]}")
    return result.stdout


def korean_recording(seconds: float, seed: int = 0) -> bytes:
    """About `seconds` of Korean espeak-ng speech as Twilio stores it (8 kHz mono μ-law WAV)."""
    SPEECH_DIR.mkdir(parents=True, exist_ok=True)
    # espeak-ng speaks roughly 3.5 s per sentence: overshoot, then ffmpeg cuts to length.
    count = int((seconds + 3) // 3) + 1
    sentences = [KOREAN_SENTENCES[(seed + i) % len(KOREAN_SENTENCES)] for i in range(count)]
    raw = SPEECH_DIR / f"ko-{seconds}-{seed}.wav"
    if not raw.exists():
        _run("espeak-ng", "-v", "ko", "-s", "150", "-w", str(raw), " ".join(sentences))
    return _run("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(raw), "-t", f"{seconds:.2f}",
                "-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw", "-f", "wav", "pipe:1")


def stored_share(app, wav: bytes, language: str = "ko", disguise: bool = False) -> int:
    """A received share whose original is already in storage (no Twilio round trip); its id."""
    from ivr.shares import domain as shares
    from ivr.extensions import db
    from ivr.storage import storage
    from workers.share_pipeline import original_key_for

    sid = "RE" + f"{os.getpid():08x}{time.time_ns():024x}"[-32:]
    with app.app_context():
        share = shares.receive_recording(sid, "CA" + "0" * 32, None, None, None, language,
                                         "library", disguise, enqueue=False)
        key = original_key_for(share)
        storage().put(key, wav)
        shares.record_original(share.id, key)
        shares.mark_twilio_deleted(share.id)
        db.session.commit()
        return share.id


def add_twilio_recording(sim, wav: bytes, duration: int = 12) -> str:
    """Put a recording in the phone simulator's store, as a <Record> on a call would have; its sid."""
    from ivr.simulator.recordings import Recording
    sid = sim.new_sid("RE")
    sim.recordings.by_sid[sid] = Recording(
        sid=sid, call_sid=sim.new_sid("CA"), account_sid=sim.account_sid,
        url=f"{sim.api_base}/2010-04-01/Accounts/{sim.account_sid}/Recordings/{sid}",
        wav=wav, duration=duration, created_at=sim.clock)
    return sid


def worker_env(app, **extra) -> dict:
    """Environment for a `python -m workers` process that sees this app's database, Redis and storage."""
    config = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOSK_MODEL_")}
    env.update({
        "DATABASE_URL": config["DATABASE_URL"], "REDIS_URL": config["REDIS_URL"] or "",
        "RQ_QUEUE": config["RQ_QUEUE"], "STORAGE_DIR": config["STORAGE_DIR"], "SECRET_KEY": config["SECRET_KEY"],
        "TWILIO_ACCOUNT_SID": config["TWILIO_ACCOUNT_SID"], "TWILIO_AUTH_TOKEN": config["TWILIO_AUTH_TOKEN"],
        "PUBLIC_BASE_URL": config["PUBLIC_BASE_URL"], "ONCALL_NUMBER": config.get("ONCALL_NUMBER") or "",
        "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
    })
    if config.get("TWILIO_API_BASE"):
        env["TWILIO_API_BASE"] = config["TWILIO_API_BASE"]
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(app, *args: str, **env) -> subprocess.Popen:
    """Start `python -m workers ARGS` in its own process group, its output discarded."""
    return subprocess.Popen([PYTHON, "-m", "workers", *args], cwd=ROOT, env=worker_env(app, **env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def descendants(pid: int) -> list[int]:
    """Every descendant process of pid (from /proc), children before grandchildren."""
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as fh:
                kids = [int(x) for x in fh.read().split()]
        except OSError:
            kids = []
        found.extend(kids)
        frontier.extend(kids)
    return found


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal a worker and every process it forked (a work horse has its own group: find it too)."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def summary(values: list[float]) -> str:
    """median (min-max) of a few timings."""
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def machine_note() -> str:
    """A line about the machine, since every figure here depends on it."""
    load = os.getloadavg()
    return (f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            "other engineers' test runs share these cores, so expect noise of 10-30%")
