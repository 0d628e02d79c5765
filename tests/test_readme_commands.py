"""Every command in the README's shell code blocks names a program that exists, and its --help works.

Commands are the lines of ```sh blocks (comments and `VAR=value` assignments aside). `./dev X` must
be a subcommand ./dev knows; `.venv/bin/X` must be installed in the virtualenv the tests run in;
Peerline's own commands and `./dev up` answer `--help`.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
BUILTINS = {"export", "cd", "source", "."}


def readme_commands() -> list[str]:
    """Each command line of the README's ```sh blocks, comments removed."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                words = words[1:]  # leading assignments: the command follows them
            if words:
                commands.append(shlex.join(words))
    return commands


def dev_subcommands() -> set[str]:
    """The subcommands `./dev` dispatches on (its case labels)."""
    text = (ROOT / "dev").read_text()
    labels = re.findall(r"^    ([a-z|]+)\)$", text, flags=re.M)
    return {name for label in labels for name in label.split("|")}


def help_invocation(words: list[str]) -> list[str]:
    """The command cut before its first option or argument value, with --help appended."""
    program, rest = words[0], words[1:]
    if Path(program).name.startswith("python") and rest[:1] == ["-m"]:
        return [program, "-m", rest[1], "--help"]
    if Path(program).name.startswith("python") and rest[:1] and rest[0].endswith(".py"):
        return [program, rest[0], "--help"]
    keep = []
    for word in rest:
        if word.startswith("-") or not re.match(r"^[a-z][a-z-]*$", word):
            break
        keep.append(word)
    return [program, *keep, "--help"]


COMMANDS = readme_commands()


def test_the_readme_has_commands_and_keeps_its_first_two():
    assert COMMANDS[:2] == ["./dev run", "./dev test"]
    assert "./dev up" in COMMANDS
    assert len(COMMANDS) >= 12


@pytest.mark.parametrize("command", COMMANDS)
def test_each_readme_command_exists_and_answers_help(command):
    words = shlex.split(command)
    program = words[0]
    if program in BUILTINS:
        return
    if program == "./dev":
        assert os.access(ROOT / "dev", os.X_OK)
        assert words[1] in dev_subcommands(), f"./dev has no subcommand {words[1]!r}"
        if words[1] != "up":
            return  # run/test install and run things: their programs are checked through .venv/bin below
        words = ["./dev", "up"]
        invocation = ["./dev", "up", "--help"]
    elif program.startswith(".venv/bin/"):
        path = VENV_BIN / program[len(".venv/bin/"):]
        assert path.exists(), f"{program} is not installed in the virtualenv"
        invocation = [str(path), *help_invocation(words)[1:]]
    else:
        assert shutil.which(program), f"{program} is not on PATH: README commands use .venv/bin/ or ./dev"
        invocation = help_invocation(words)
    result = subprocess.run(invocation, cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PEERLINE_VAR_DIR": str(ROOT / "var")})
    assert result.returncode == 0, f"{' '.join(invocation)}:\n{result.stdout}\n{result.stderr}"
    assert re.search(r"usage|--help", result.stdout + result.stderr, flags=re.I), "no help text"
