"""Webhook throughput and latency: Peerline's incoming-call + main-menu path under gunicorn.

Side by side in the same run and under the same gunicorn settings: bench/minimal_ivr.py, a
Flask app that returns the same menu TwiML and does nothing else. Each simulated caller posts
/voice/incoming then presses a key at the main menu, signed like Twilio; Peerline validates
every signature and writes each call step to PostgreSQL.

    .venv/bin/python bench/webhooks.py [--calls 2000] [--concurrency 50 200] [--workers 4]

Prints requests/s, p50 and p99 latency per app and concurrency, and the ratio.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789"
PUBLIC = "https://peerline.test"
DB = "postgresql://postgres@127.0.0.1:5432/peerline_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database() -> None:
    """Fresh database, migrated by the release command."""
    sys.path.insert(0, str(ROOT))
    from tests.conftest import _fresh_database
    _fresh_database(DB)
    env = {**os.environ, "DATABASE_URL": DB, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC}
    subprocess.run([str(ROOT / ".venv/bin/peerline"), "db", "upgrade"], env=env, check=True,
                   capture_output=True)


def start_gunicorn(target: str, port: int, workers: int, threads: int, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": DB, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC,
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn {target} did not start: {proc.stderr.read().decode()[-2000:]}")


def signed(path: str, form: dict) -> tuple[str, dict, dict]:
    sig = RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
    return path, form, {"X-Twilio-Signature": sig}


def caller_requests(n: int, run: str) -> list[list[tuple]]:
    """For each simulated caller: incoming call, then key 9 at the main menu."""
    calls = []
    for i in range(n):
        base = {"CallSid": f"CA{run}{i:08d}", "AccountSid": "AC" + "0" * 32, "From": f"+1555{i % 9000 + 1000:07d}",
                "To": "+15550001111", "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}
        calls.append([signed("/voice/incoming", base),
                      signed("/voice/step/main_menu/input", {**base, "Digits": "9"})])
    return calls


async def drive(port: int, calls: list[list[tuple]], concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    for c in calls:
        queue.put_nowait(c)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one_caller():
            nonlocal errors
            while not queue.empty():
                steps = queue.get_nowait()
                for path, form, headers in steps:
                    t0 = time.perf_counter()
                    async with session.post(f"http://127.0.0.1:{port}{path}", data=form, headers=headers) as r:
                        body = await r.read()
                        if r.status != 200 or b"<Gather" not in body:
                            errors += 1
                    latencies.append(time.perf_counter() - t0)
        start = time.perf_counter()
        await asyncio.gather(*(one_caller() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, errors


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500, help="simulated callers per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    prepare_database()
    apps = {"peerline": ("ivr:create_app()", ROOT), "minimal": ("minimal_ivr:app", ROOT / "bench")}
    print(f"gunicorn --workers {args.workers} --threads {args.threads}; {args.calls} callers x 2 webhooks; "
          f"{os.cpu_count()} cores shared by server and load generator")
    results = {}
    for name, (target, cwd) in apps.items():
        port = free_port()
        proc = start_gunicorn(target, port, args.workers, args.threads, cwd)
        try:
            asyncio.run(drive(port, caller_requests(100, f"w{name[:2]}"), 20))  # warm-up
            for conc in args.concurrency:
                elapsed, lat, errors = asyncio.run(drive(port, caller_requests(args.calls, f"{name[:2]}{conc}"), conc))
                rps = len(lat) / elapsed
                results[(name, conc)] = rps
                print(f"{name:9s} c={conc:<4d} {rps:8.1f} req/s  p50 {pct(lat, 50):6.1f} ms  "
                      f"p99 {pct(lat, 99):6.1f} ms  mean {statistics.mean(lat) * 1000:6.1f} ms  errors {errors}")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    for conc in args.concurrency:
        ratio = results[("peerline", conc)] / results[("minimal", conc)]
        print(f"c={conc}: Peerline / minimal throughput = {ratio:.2f}x")


if __name__ == "__main__":
    main()
