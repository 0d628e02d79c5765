"""Long commands show click's progress bar on a terminal and plain lines otherwise (cron, CI, pipes)."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.models.base import utcnow
from tests.conftest import DATABASE_URL

PEERLINE = Path(sys.executable).with_name("peerline")


def _old_shares(app, count: int) -> list[int]:
    """Rejected shares received long before the retention limit, so the sweep purges them."""
    ids = []
    with app.app_context():
        for i in range(count):
            share = shares.receive_recording(f"RE{i:032d}", None, None, 5, None, "en", enqueue=False)
            share.status, share.created_at = "rejected", utcnow() - timedelta(days=400)
            ids.append(share.id)
        db.session.commit()
    return ids


def _on_a_terminal(args: list[str], env: dict, timeout: float = 120) -> str:
    """Run a command with a pseudo-terminal as its standard output; return what it drew."""
    main, child = pty.openpty()
    process = subprocess.Popen(args, stdout=child, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    os.close(child)
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=10)
    os.close(main)
    assert process.returncode == 0, out
    return out.decode(errors="replace")


def test_sweep_prints_plain_lines_when_not_on_a_terminal(app, runner):
    purged = _old_shares(app, 3)
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Checking stranded shares: nothing to do" in lines
    assert "Purging audio past retention: 3 of 3" in lines
    assert not any("\r" in line or "[#" in line for line in lines)  # no bar redrawn into a log
    with app.app_context():
        assert {shares.get(i).status for i in purged} == {"deleted"}


def test_sweep_draws_a_progress_bar_on_a_terminal(app, tmp_path):
    _old_shares(app, 3)
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "STORAGE_DIR": str(tmp_path / "storage"),
           "PEERLINE_ENV": "development", "TERM": "xterm"}
    env.pop("REDIS_URL", None)
    drawn = _on_a_terminal([str(PEERLINE), "sweep"], env)
    assert "Purging audio past retention" in drawn and "3/3" in drawn and "[####" in drawn, drawn
    assert "Purging audio past retention: 3 of 3" not in drawn  # the plain lines are for logs only
    assert "audio purged 3" in drawn


def test_progress_lines_name_each_slow_item_when_asked(capsys):
    from ivr.progress import progress
    with progress(["a", "b"], "Speaking demo stories", describe=str.upper) as items:
        assert list(items) == ["a", "b"]
    assert capsys.readouterr().out.splitlines() == ["Speaking demo stories: 1 of 2 (A)", "Speaking demo stories: 2 of 2 (B)"]
