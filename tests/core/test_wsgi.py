"""The app gunicorn serves (Procfile: ivr.wsgi:app) freezes its start-up objects out of the garbage collector."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_served_app_freezes_what_start_up_made(tmp_path):
    code = ("import gc; before = gc.get_freeze_count(); import ivr.wsgi as served; "
            "print(type(served.app).__name__, before, gc.get_freeze_count())")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/peerline.db", "STORAGE_URL": str(tmp_path / "store")}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=60, check=True)
    kind, before, after = out.stdout.split()
    assert kind == "Flask" and int(before) == 0
    assert int(after) > 50_000  # flows, prompts and the libraries' own objects: a full collection skips them


def test_every_procfile_serves_it():
    for name in ("Procfile", "Procfile.dev"):
        web = next(line for line in (ROOT / name).read_text().splitlines() if line.startswith("web:"))
        assert web.split()[-1] == "ivr.wsgi:app", (name, web)
