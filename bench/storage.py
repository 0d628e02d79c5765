"""Storage backends side by side: put, get and delete of 1 MB audio objects, directory against S3.

S3 here is moto's S3 server (a stand-in for S3, started on a free loopback port), so the figures
measure boto3 + HTTP + the stand-in on this machine, not AWS: a real bucket adds network latency.
Prints objects per second and MB/s for each operation and backend.

    .venv/bin/python bench/storage.py [--objects 100] [--size-mb 1]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager

import boto3
import requests

from ivr.storage import LocalStorage
from ivr.storage_s3 import S3Storage

#: moto accepts any credentials; boto3 only needs some to sign with.
STAND_IN_ENV = {"AWS_ACCESS_KEY_ID": "stand-in-key", "AWS_SECRET_ACCESS_KEY": "stand-in-secret",
                "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def moto_s3(timeout: float = 30):
    """moto's S3 server on a free loopback port, with os.environ pointing boto3 at it; yields a new bucket's name."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto's S3 server exited with {proc.returncode}")
            try:
                requests.get(endpoint + "/moto-api/", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto's S3 server did not answer on {endpoint} within {timeout} s")
                time.sleep(0.2)
        os.environ.update({**STAND_IN_ENV, "AWS_ENDPOINT_URL_S3": endpoint})
        bucket = f"peerline-bench-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
        yield bucket
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
    with moto_s3() as bucket:
        s3 = S3Storage(bucket, "bench")
        measure(s3, 5, payload)  # warm-up (connection pool, first requests)
        results["s3 (moto stand-in)"] = measure(s3, args.objects, payload)
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
