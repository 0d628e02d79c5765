"""(b) Memory of N forked workers against one: the Vosk model's pages are shared, not copied.

Three set-ups, each with every worker busy on a job (a work horse forked per job, as in production):
  one       `python -m workers` (one worker, one horse)
  pool N    `python -m workers --workers N`: N workers forked from one parent that loaded the model
  separate  N independent `python -m workers` processes, each loading its own copy
For every process the script reads /proc/<pid>/smaps_rollup (as smem does): RSS counts shared pages
in full, PSS splits them between the processes sharing them, USS is what the process alone holds.
The sum of PSS is the memory the set-up really costs.

    .venv/bin/python bench/worker_memory.py [--workers 4]
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import time

from _workers_common import DEFAULT_REDIS, PYTHON, ROOT, descendants, machine_note
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry


def rollup(pid: int) -> dict[str, int]:
    """kB figures from /proc/<pid>/smaps_rollup."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                values[parts[0].rstrip(":")] = int(parts[1])
    values["USS"] = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return values


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    return [pid] + descendants(pid)


def run_setup(name: str, commands: list[list[str]], jobs: int, env: dict, queue: Queue) -> dict:
    """Start the processes, give every worker a sleeping job, measure, stop."""
    queue.connection.flushdb()
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True) for cmd in commands]
    try:
        # Jobs go in first; a worker takes one as soon as its model is loaded.
        for _ in range(jobs):
            queue.enqueue("time.sleep", 60, job_timeout=120)
        registry = StartedJobRegistry(queue=queue)
        deadline = time.time() + 120
        while registry.count < jobs and time.time() < deadline:
            time.sleep(0.2)
        if registry.count < jobs:
            raise RuntimeError(f"{name}: only {registry.count} of {jobs} jobs started")
        time.sleep(1.0)
        pids = [p for proc in procs for p in tree(proc.pid)]
        figures = {pid: rollup(pid) for pid in pids}
    finally:
        for proc in procs:
            for pid in reversed(tree(proc.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait()
    total = {k: sum(f[k] for f in figures.values()) for k in ("Rss", "Pss", "USS")}
    print(f"\n{name}: {len(figures)} processes, {jobs} busy work horses")
    print(f"  {'pid':>7} {'RSS MB':>8} {'PSS MB':>8} {'USS MB':>8}")
    for pid, f in figures.items():
        print(f"  {pid:>7} {f['Rss'] / 1024:8.1f} {f['Pss'] / 1024:8.1f} {f['USS'] / 1024:8.1f}")
    print(f"  {'total':>7} {total['Rss'] / 1024:8.1f} {total['Pss'] / 1024:8.1f} {total['USS'] / 1024:8.1f}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    args = parser.parse_args()
    n = args.workers
    env = {**os.environ, "REDIS_URL": args.redis, "RQ_QUEUE": "bench-memory", "LOG_LEVEL": "WARNING",
           "DATABASE_URL": "sqlite:////tmp/peerline-bench-memory.db", "PYTHONUNBUFFERED": "1"}
    queue = Queue("bench-memory", connection=Redis.from_url(args.redis))
    base = [PYTHON, "-m", "workers", "--no-sweep"]

    one = run_setup("one worker", [base], 1, env, queue)
    pool = run_setup(f"pool of {n} forked workers", [base + ["--workers", str(n)]], n, env, queue)
    separate = run_setup(f"{n} separate worker processes", [base for _ in range(n)], n, env, queue)

    print(f"\nsummary (PSS = memory really used, MB): one worker {one['Pss'] / 1024:.0f}; "
          f"pool of {n} {pool['Pss'] / 1024:.0f} ({pool['Pss'] / one['Pss']:.2f}x one); "
          f"{n} separate {separate['Pss'] / 1024:.0f} ({separate['Pss'] / one['Pss']:.2f}x one)")
    print(f"RSS double-counts shared pages: pool RSS {pool['Rss'] / 1024:.0f} MB vs PSS {pool['Pss'] / 1024:.0f} MB")
    print(machine_note())


if __name__ == "__main__":
    main()
