"""Private servers for fault tests: a redis-server and a PostgreSQL cluster on free ports.

Each is started by the test (never the shared services), can be stopped, restarted or frozen
with SIGSTOP, and every wait here is bounded.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    """Poll `check()` until true, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready within {timeout}s")


class PrivateRedis:
    """redis-server on a free port, no persistence; stop() and start() keep the port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        """Start (or restart) the server and wait until it answers."""
        from redis import Redis
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: Redis.from_url(self.url, socket_timeout=1).ping(), 10, "private redis")
        return self

    def stop(self) -> None:
        """Stop the server (its data is gone, as after a crash without persistence)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/" + name))
    if not versions:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return str(versions[-1])


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb) on a free port, owned by the postgres user when root."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="peerline-faults-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/peerline"

    def _run(self, *argv: str, timeout: float = 60) -> None:
        cmd = list(argv)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> "PrivatePostgres":
        """initdb, start on the free port, create the database."""
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync",
                  "--no-instructions")
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-t", "30", "-l", str(self.dir / "log"), "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off", "start")
        self._run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "peerline")
        return self

    def pids(self) -> list[int]:
        """The postmaster and every backend it forked."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster] + children

    def pause(self) -> None:
        """Freeze the whole cluster (SIGSTOP): the kernel still accepts TCP, nothing answers."""
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Thaw the cluster (SIGCONT)."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        """Stop the cluster at once and remove its files."""
        try:
            self.resume()
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "20", "stop")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
