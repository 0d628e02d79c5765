"""The Flask app a job runs in: the worker's own (built once, before forking) or the caller's."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask, current_app, has_app_context

from ivr import create_app

_app: Flask | None = None


def set_app(app: Flask) -> None:
    """Make `app` the one jobs in this process run in (called by `python -m workers`)."""
    global _app
    _app = app


def get_app() -> Flask:
    """The worker's app, built from the environment on first use."""
    global _app
    if _app is None:
        _app = create_app()
    return _app


@contextmanager
def app_context() -> Iterator[Flask]:
    """Run inside the current app context if there is one (inline jobs), else the worker's app."""
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    app = get_app()
    with app.app_context():
        yield app
