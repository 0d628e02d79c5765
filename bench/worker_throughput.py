"""(c) Throughput of one worker against two on the same batch of Korean shares of 30-60 s.

Each share is a stored 8 kHz μ-law recording of Korean espeak-ng speech (no Twilio round trip);
`python -m workers --burst --workers W` processes the whole queue through the real job
(decode, Vosk, screening, database). Throughput is measured over the jobs' own span (first start to
last end, from rq) and over the worker command's wall time (which adds model loading).

    .venv/bin/python bench/worker_throughput.py [--shares 12] [--min 30] [--max 60]

The issue asks for 100 shares; at this machine's Vosk speed (RTF ~0.25-0.3 per core) that is about
20 minutes for one worker, so the default is a smaller batch that keeps the run near 5 minutes.
Pass --shares 100 for the full run. Target: two workers >= 1.8x one (the machine has 2 cores).
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import time

from _workers_common import (DEFAULT_DB, DEFAULT_REDIS, PYTHON, ROOT, korean_recording, machine_note, make_app,
                             stored_share, worker_env)


def run_batch(app, recordings: list[bytes], workers: int) -> dict:
    """Enqueue every recording as a share, run a burst worker pool, return the figures."""
    from redis import Redis
    from rq.job import Job
    from ivr import jobs
    from ivr.shares import domain as shares
    from ivr.extensions import db
    from ivr.shares.models import Share

    ids, job_ids = [], []
    with app.app_context():
        for wav in recordings:
            share_id = stored_share(app, wav)
            share = shares.get(share_id)
            shares.enqueue_processing(share)
            ids.append(share_id)
            job_ids.append(jobs.share_job_id(share.recording_sid))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([PYTHON, "-m", "workers", "--burst", "--no-sweep", "--workers", str(workers)],
                   cwd=ROOT, env=worker_env(app, LOG_LEVEL="WARNING"), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds the worker tree used per wall second: how many cores it actually got.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    connection = Redis.from_url(app.config["REDIS_URL"])
    jobs = [Job.fetch(j, connection=connection) for j in job_ids]
    span = (max(j.ended_at for j in jobs) - min(j.started_at for j in jobs)).total_seconds()
    with app.app_context():
        statuses = [db.session.get(Share, i).status for i in ids]
    done = sum(s in ("queued", "needs_listening") for s in statuses)
    return {"wall": wall, "span": span, "done": done, "workers": len({j.worker_name for j in jobs}),
            "cores": cpu / wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", type=int, default=12)
    parser.add_argument("--min", type=float, default=30.0)
    parser.add_argument("--max", type=float, default=60.0)
    parser.add_argument("--database", default=DEFAULT_DB)
    args = parser.parse_args()

    rng = random.Random(5)
    lengths = [round(rng.uniform(args.min, args.max), 1) for _ in range(args.shares)]
    recordings = [korean_recording(seconds, seed=i) for i, seconds in enumerate(lengths)]
    audio_s = sum(lengths)
    print(f"batch: {args.shares} shares of {args.min:.0f}-{args.max:.0f} s Korean speech, {audio_s:.0f} s of audio in all")

    results = {}
    for workers in (1, 2):
        app = make_app(args.database, DEFAULT_REDIS)
        r = run_batch(app, recordings, workers)
        results[workers] = r
        print(f"{workers} worker(s): {r['done']}/{args.shares} processed by {r['workers']} worker(s); "
              f"jobs span {r['span']:.1f} s -> {args.shares / r['span'] * 60:.1f} shares/min, "
              f"{audio_s / r['span']:.2f} s of audio per s; command wall {r['wall']:.1f} s; "
              f"cores obtained {r['cores']:.2f}, {audio_s / r['cpu']:.2f} s of audio per CPU-second")
    speedup_span = results[1]["span"] / results[2]["span"]
    speedup_wall = results[1]["wall"] / results[2]["wall"]
    print(f"speed-up 2 vs 1 worker: {speedup_span:.2f}x over the jobs' span, {speedup_wall:.2f}x over wall time (target >= 1.8x)")
    print("two workers can only beat one by as much as the cores they obtain: compare 'cores obtained'; "
          "audio per CPU-second shows whether the work per share stayed the same")
    print(machine_note())


if __name__ == "__main__":
    main()
