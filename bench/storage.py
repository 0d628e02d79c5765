"""Storage backends side by side: put, get and delete of 1 MB audio objects, directory against S3.

S3 here is moto's S3 server (a stand-in for S3, started on a free loopback port), so the figures
measure boto3 + HTTP + the stand-in on this machine, not AWS: a real bucket adds network latency.
Prints objects per second and MB/s for each operation and backend.

    .venv/bin/python bench/storage.py [--objects 100] [--size-mb 1]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivr.storage import LocalStorage  # noqa: E402
from ivr.storage_s3 import S3Storage  # noqa: E402
from tests.s3_stand_in import start_moto, stop_moto  # noqa: E402


def audio_like(size: int) -> bytes:
    """Incompressible bytes the size of a recording (compression must not flatter any backend)."""
    return os.urandom(size)


def measure(store, count: int, payload: bytes) -> dict[str, float]:
    """Seconds taken to put, get and delete `count` objects, one after another."""
    keys = [f"shares/{i}/original.audio" for i in range(count)]
    timings = {}
    started = time.perf_counter()
    for key in keys:
        store.put(key, payload)
    timings["put"] = time.perf_counter() - started
    started = time.perf_counter()
    for key in keys:
        assert len(store.get(key)) == len(payload)
    timings["get"] = time.perf_counter() - started
    started = time.perf_counter()
    for key in keys:
        assert store.delete(key)
    timings["delete"] = time.perf_counter() - started
    return timings


def main() -> None:
    """Run both backends and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100, help="objects per operation (default 100)")
    parser.add_argument("--size-mb", type=float, default=1.0, help="object size in MB (default 1)")
    args = parser.parse_args()
    size = int(args.size_mb * 1024 * 1024)
    payload = audio_like(size)
    results = {}
    with tempfile.TemporaryDirectory(prefix="peerline-bench-storage-") as tmp:
        local = LocalStorage(tmp)
        measure(local, 5, payload)  # warm-up
        results["directory"] = measure(local, args.objects, payload)
    stand_in = start_moto()
    try:
        os.environ.update(stand_in.env())
        bucket = stand_in.new_bucket()
        s3 = S3Storage(bucket, "bench")
        measure(s3, 5, payload)  # warm-up (connection pool, first requests)
        results["s3 (moto stand-in)"] = measure(s3, args.objects, payload)
    finally:
        stop_moto(stand_in)
    megabytes = args.objects * size / (1024 * 1024)
    print(f"storage: {args.objects} objects of {size / (1024 * 1024):.1f} MB each, one at a time, "
          f"{os.cpu_count()} CPUs (shared machine: expect noise)")
    header = f"{'operation':<10}" + "".join(f"{name:>34}" for name in results)
    print(header)
    print(f"{'':<10}" + "".join(f"{'objects/s':>17}{'MB/s':>17}" for _ in results))
    for op in ("put", "get", "delete"):
        row = f"{op:<10}"
        for timings in results.values():
            seconds = timings[op]
            mb_s = f"{megabytes / seconds:.1f}" if op != "delete" else "-"
            row += f"{args.objects / seconds:>17.1f}{mb_s:>17}"
        print(row)


if __name__ == "__main__":
    main()
