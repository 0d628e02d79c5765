"""A STAND-IN for S3 in tests: moto's S3 server (`moto[server]`) on a free loopback port.

This is not AWS. It speaks the S3 API well enough for Peerline's storage calls, so the object-store
backend runs for real (boto3, HTTP, signatures) without network access. Import the fixture into a
test module: `from tests.s3_stand_in import s3_stand_in  # noqa: F401`.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

#: Dummy credentials: moto accepts any; they only have to be present for boto3 to sign.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "stand-in-key", "AWS_SECRET_ACCESS_KEY": "stand-in-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class S3StandIn:
    """Where the moto S3 server listens, and the environment that points boto3 at it."""

    endpoint: str
    process: subprocess.Popen

    def env(self) -> dict[str, str]:
        """Variables for a process (or os.environ) that should use this stand-in."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL_S3": self.endpoint}

    def client(self):
        """A boto3 S3 client on the stand-in."""
        import boto3
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")

    def new_bucket(self, versioned: bool = False) -> str:
        """Create a fresh bucket and return its name."""
        name = f"peerline-test-{uuid.uuid4().hex[:12]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(timeout: float = 30) -> S3StandIn:
    """Start moto's S3 server as a child process on a free loopback port; wait until it answers."""
    import requests
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto's S3 server exited with {proc.returncode}")
        try:
            requests.get(endpoint + "/moto-api/", timeout=1)
            return S3StandIn(endpoint, proc)
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"moto's S3 server did not answer on {endpoint} within {timeout} s")


def stop_moto(stand_in: S3StandIn) -> None:
    """Stop the moto server."""
    stand_in.process.terminate()
    try:
        stand_in.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        stand_in.process.kill()


@pytest.fixture(scope="session")
def s3_stand_in():
    """moto's S3 server (a stand-in for S3), one per test session; os.environ points boto3 at it meanwhile."""
    stand_in = start_moto()
    saved = {key: os.environ.get(key) for key in stand_in.env()}
    os.environ.update(stand_in.env())
    try:
        yield stand_in
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stop_moto(stand_in)
