"""`peerline screen` and `peerline sweep` are registered on the app, yet the web process never imports workers/."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.workers.pipeline_support import ROOT


def test_peerline_screen_prints_tier_priority_and_reasons(runner):
    result = runner.invoke(args=["screen", "i am going to kill myself tonight i have the pills ready"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "tier: crisis"
    assert int(lines[1].split(": ")[1]) >= 80
    assert any("risk/" in line for line in lines[2:])


def test_peerline_screen_json_is_machine_readable(runner):
    result = runner.invoke(args=["screen", "--json", "call me on oh seven seven double four one two three four five six"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"tier", "priority", "reasons", "personal_spans"} <= data.keys()
    assert any(r["category"] == "personal" for r in data["reasons"])


def test_building_the_web_app_imports_nothing_from_workers(tmp_path):
    code = ("import sys; from ivr import create_app; app = create_app({'DATABASE_URL': 'sqlite:///%s'}); "
            "print(sorted(m for m in sys.modules if m == 'vosk' or m.startswith('workers')))"
            % (tmp_path / "web.db"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
