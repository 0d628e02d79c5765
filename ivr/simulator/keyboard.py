"""Reading a caller's next input at the terminal, for the in-process and the remote phone alike."""
from __future__ import annotations

import click


def default_reader(prompt: str) -> str:
    """Read one line at the terminal (empty for silence)."""
    return click.prompt(prompt, default="", show_default=False, prompt_suffix="")


def ask(read, waiting: str | None) -> str:
    """Prompt for the next input, worded for what the call waits on; end of input hangs up."""
    try:
        return read({"gather": "keys> ", "record": "record (rec file.wav)> ",
                     "conference": "in conference (* leaves if allowed, Enter waits)> "}.get(waiting, "> "))
    except (EOFError, click.Abort):
        return "q"
