"""Progress for long commands: click's progress bar on a terminal, plain log lines otherwise.

Under cron, in CI or piped into a file, a redrawn bar would be noise: there each step is one
plain line ("Speaking demo stories: 3 of 13 (...)"), at most about ten of them per task.
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator

import click


def on_terminal() -> bool:
    """True when standard output is an interactive terminal."""
    return sys.stdout.isatty()  # CliRunner swaps sys.stdout too, so tests see a pipe


@contextlib.contextmanager
def progress(items: Iterable, label: str, *, tty: bool | None = None,
             describe: Callable[[object], str] | None = None) -> Iterator[Iterable]:
    """Iterate `items` with a progress bar on a terminal, or with plain lines when not on one."""
    items = list(items)
    if on_terminal() if tty is None else tty:
        with click.progressbar(items, label=label, show_pos=True, item_show_func=_shown(describe)) as bar:
            yield bar
        return
    yield _plain(items, label, describe)


def _shown(describe):
    if describe is None:
        return None
    return lambda item: None if item is None else describe(item)


def _plain(items: list, label: str, describe) -> Iterator:
    total = len(items)
    if not total:
        click.echo(f"{label}: nothing to do")
        return
    every = 1 if describe else max(1, total // 10)
    for done, item in enumerate(items, start=1):
        yield item
        if done % every == 0 or done == total:
            click.echo(f"{label}: {done} of {total}" + (f" ({describe(item)})" if describe else ""))


def silent(items: Iterable, label: str = "", **_) -> contextlib.AbstractContextManager:
    """The same interface with no output (for scheduled jobs)."""
    return contextlib.nullcontext(items)
