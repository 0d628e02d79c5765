"""Peerline's processes for the whole-system tests: each in its own working directory and temporary HOME.

Processes share only what machines would share: PostgreSQL, Redis, the object store (moto's S3
server as the stand-in) and HTTP. Each gets a fresh directory as cwd, HOME and PEERLINE_VAR_DIR,
so nothing on a local disk can be seen by another.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.s3_stand_in import free_port

BIN = Path(sys.executable).parent


@dataclass
class Machine:
    """One process as if on its own machine: its directory, log and Popen."""

    name: str
    home: Path
    proc: subprocess.Popen
    log: Path
    url: str | None = None
    env: dict = field(default_factory=dict)

    def output(self) -> str:
        """What the process printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """Stop the process and all it forked (its own session)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)


def machine_env(home: Path, shared: dict) -> dict:
    """A clean environment: PATH and locale from ours, HOME and var dir of its own, then `shared`."""
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TZ") if k in os.environ}
    return {**keep, "HOME": str(home), "PEERLINE_VAR_DIR": str(home / "var"), "STORAGE_DIR": str(home / "storage"),
            "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO", **shared}


def start(name: str, root: Path, command: list[str], shared: dict, url: str | None = None) -> Machine:
    """Start one process in root/name (cwd and HOME), logging to root/name.log."""
    home = root / name
    home.mkdir(parents=True)
    log = root / f"{name}.log"
    env = machine_env(home, shared)
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return Machine(name, home, proc, log, url, env)


def wait_http(machine: Machine, path: str, timeout: float = 60, auth=None) -> None:
    """Wait until the machine answers path with anything but a connection error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if machine.proc.poll() is not None:
            raise RuntimeError(f"{machine.name} exited with {machine.proc.returncode}:\n{machine.output()[-3000:]}")
        try:
            requests.get(machine.url + path, timeout=2, auth=auth)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise TimeoutError(f"{machine.name} did not answer at {machine.url} in {timeout} s:\n{machine.output()[-3000:]}")


def web(root: Path, shared: dict, port: int) -> Machine:
    """gunicorn serving Peerline on a loopback port; PUBLIC_BASE_URL is that address."""
    url = f"http://127.0.0.1:{port}"
    machine = start("web", root, [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                                  "ivr.wsgi:app"], {**shared, "PUBLIC_BASE_URL": url}, url)
    wait_http(machine, "/healthz")
    return machine


def simulator(root: Path, shared: dict, app_url: str, port: int) -> Machine:
    """`peerline simulator` (Twilio's stand-in) on a loopback port, ringing app_url."""
    url = f"http://127.0.0.1:{port}"
    machine = start("simulator", root, [str(BIN / "peerline"), "simulator", "--port", str(port), "--app-url", app_url],
                    shared, url)
    wait_http(machine, "/")
    return machine


def worker(root: Path, shared: dict) -> Machine:
    """`python -m workers` (rq on the shared Redis), without the periodic sweep."""
    return start("worker", root, [sys.executable, "-m", "workers", "--no-sweep"], shared)


def terminal_call(root: Path, name: str, shared: dict, app_url: str, sim_url: str, script: str,
                  timeout: float = 180) -> str:
    """`peerline call --url APP --via SIM --script ...` from a directory of its own; its output."""
    home = root / name
    home.mkdir(parents=True)
    result = subprocess.run([str(BIN / "peerline"), "call", "--url", app_url, "--via", sim_url, "--script", script],
                            cwd=home, env=machine_env(home, shared), capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output
