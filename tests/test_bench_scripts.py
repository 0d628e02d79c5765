"""bench/ uses Peerline's public code and its own helpers: no script imports the test suite or edits sys.path.

The scripts run from the project's virtualenv, where ivr and workers are installed and bench/ itself
is on the path (it is the script's folder); reaching into tests/ would tie figures to test fixtures.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(BENCH.glob("*.py"))


def problems(source: str) -> list[str]:
    """Each import of the test suite and each use of sys.path in a module's source, with its line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "tests"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "tests":
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif (isinstance(node, ast.Attribute) and node.attr == "path"
              and isinstance(node.value, ast.Name) and node.value.id == "sys"):
            found.append(f"line {node.lineno}: sys.path")
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" and any(a.name == "path" for a in node.names):
            found.append(f"line {node.lineno}: from sys import path")
    return sorted(found, key=lambda text: int(text.split(":")[0].split()[1]))


def test_the_check_sees_both_kinds_of_problem():
    """The walker itself: test imports (top level or inside a function) and sys.path edits are found."""
    source = ("import sys\nsys.path.insert(0, '.')\n"
              "def f():\n    from tests.conftest import base_config\n    import tests.twiml\n"
              "from sys import path\nfrom ivr import create_app\nimport testsuite\n")
    assert problems(source) == ["line 2: sys.path", "line 4: from tests.conftest import ...",
                                "line 5: import tests.twiml", "line 6: from sys import path"]


def test_there_are_bench_scripts_to_check():
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_a_bench_script_uses_no_test_helpers_and_leaves_sys_path_alone(script):
    assert problems(script.read_text()) == []
