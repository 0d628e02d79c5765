"""Helpers for the job, worker and sweep tests: Korean phone audio, shares, workers.

Audio is real: espeak-ng speaks Korean, ffmpeg encodes it the way Twilio stores calls (8 kHz
μ-law WAV) or as MP3. Shares are made through ivr.shares, as the recording callback makes them.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

KOREAN_SENTENCES = [
    "안녕하세요. 오늘은 날씨가 좋아서 공원에 산책을 갔습니다.",
    "친구와 함께 점심을 먹고 이야기를 많이 나누었어요.",
    "요즘 회사 일이 많아서 조금 피곤하지만 괜찮습니다.",
    "저녁에는 가족과 함께 텔레비전을 보면서 쉬었습니다.",
    "내일은 아침 일찍 일어나서 운동을 하려고 합니다.",
    "모임에 오시는 분들께 감사하다는 말씀을 드리고 싶어요.",
]


def run(*command: str, stdin: bytes | None = None) -> bytes:
    """Run a tool, return stdout; fail loudly with its stderr."""
    result = subprocess.run(list(command), input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {result.stderr.decode(errors='replace')[-500:]}")
    return result.stdout


def korean_wav(seconds: float, workdir: Path, *, seed: int = 0, speed: int = 150) -> bytes:
    """About `seconds` of Korean speech (espeak-ng) as a 22.05 kHz PCM WAV."""
    workdir.mkdir(parents=True, exist_ok=True)
    sentences, index = [], seed
    # espeak-ng speaks roughly 3.5 s per sentence at this speed; overshoot, then cut with ffmpeg.
    while len(sentences) * 3.0 < seconds + 3:
        sentences.append(KOREAN_SENTENCES[index % len(KOREAN_SENTENCES)])
        index += 1
    raw = workdir / f"ko-{seconds}-{seed}-{speed}.wav"
    if not raw.exists():
        run("espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(raw), " ".join(sentences))
    return run("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(raw),
               "-t", f"{seconds:.2f}", "-f", "wav", "pipe:1")


def to_twilio_wav(wav: bytes) -> bytes:
    """Encode audio as Twilio stores recordings: 8 kHz mono G.711 μ-law WAV."""
    return run("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
               "-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw", "-f", "wav", "pipe:1", stdin=wav)


def to_mp3(wav: bytes) -> bytes:
    """Encode audio as MP3 (Twilio serves recordings as .mp3 too)."""
    return run("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
               "-ar", "8000", "-ac", "1", "-b:a", "32k", "-f", "mp3", "pipe:1", stdin=wav)


def silence_wav(seconds: float) -> bytes:
    """Digital near-silence with faint noise, as a μ-law WAV."""
    return run("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
               "-i", f"anoisesrc=color=pink:amplitude=0.0005:duration={seconds}",
               "-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw", "-f", "wav", "pipe:1")


_counter = [0]


def make_share(*, language: str = "ko", audio: bytes | None = None, disguise: bool = False,
               duration_s: int | None = None, consent: str = "library", twilio_deleted: bool | None = None,
               recording_sid: str | None = None):
    """A received share (as the recording callback makes it); with `audio`, its original already stored.

    Returns the share id. Call inside an app context.
    """
    from ivr.shares import domain as shares
    from ivr.extensions import db
    from ivr.storage import storage
    from workers.share_pipeline import original_key_for

    _counter[0] += 1
    sid = recording_sid or "RE" + f"{os.getpid():08x}{_counter[0]:08x}{time.time_ns():016x}"[-32:]
    share = shares.receive_recording(sid, "CA" + "0" * 32, None, duration_s, None, language,
                                     consent, disguise, enqueue=False)
    share_id = share.id
    if audio is not None:
        key = original_key_for(share)
        storage().put(key, audio)
        shares.record_original(share_id, key)
        if twilio_deleted is None or twilio_deleted:
            shares.mark_twilio_deleted(share_id)
    db.session.commit()
    return share_id


def add_twilio_recording(sim, wav: bytes, duration: int = 12) -> str:
    """Put a recording in the simulator's store, as a <Record> on a call would have; its sid."""
    from ivr.simulator.recordings import Recording
    sid = sim.new_sid("RE")
    sim.recordings.by_sid[sid] = Recording(
        sid=sid, call_sid=sim.new_sid("CA"), account_sid=sim.account_sid,
        url=f"{sim.api_base}/2010-04-01/Accounts/{sim.account_sid}/Recordings/{sid}",
        wav=wav, duration=duration, created_at=sim.clock)
    return sid


def worker_env(app, **extra) -> dict:
    """Environment for a `python -m workers` subprocess that sees this test app's DB, Redis and storage."""
    config = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOSK_MODEL_", "PEERLINE_TEST"))}
    env.update({
        "DATABASE_URL": config["DATABASE_URL"],
        "REDIS_URL": config["REDIS_URL"] or "",
        "RQ_QUEUE": config["RQ_QUEUE"],
        "STORAGE_DIR": config["STORAGE_DIR"],
        "SECRET_KEY": config["SECRET_KEY"],
        "TWILIO_ACCOUNT_SID": config["TWILIO_ACCOUNT_SID"],
        "TWILIO_AUTH_TOKEN": config["TWILIO_AUTH_TOKEN"],
        "PUBLIC_BASE_URL": config["PUBLIC_BASE_URL"],
        "ONCALL_NUMBER": config.get("ONCALL_NUMBER") or "",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    })
    if config.get("TWILIO_API_BASE"):
        env["TWILIO_API_BASE"] = config["TWILIO_API_BASE"]
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(app, *args: str, log_path: Path | None = None, **env) -> subprocess.Popen:
    """Start `python -m workers ARGS` in its own process group (so a test can SIGKILL all of it)."""
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    return subprocess.Popen([PYTHON, "-m", "workers", *args], cwd=ROOT, env=worker_env(app, **env),
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def run_burst_worker(app, *args: str, timeout: float = 240, log_path: Path | None = None, **env) -> int:
    """Run `python -m workers --burst ARGS` to completion; return its exit code."""
    proc = start_worker(app, "--burst", "--no-sweep", *args, log_path=log_path, **env)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal a worker and every process it forked (the work horse has its own group: find it too)."""
    children = descendants(proc.pid)
    for pid in [proc.pid, *children]:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


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


def wait_for(predicate, timeout: float = 60, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")
