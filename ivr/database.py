"""The database as views see it: end the request's unit of work, or check the database answers.

Views run no SQL of their own (tests/test_views_run_no_sql.py): feature modules read and change
rows and only flush; the view that served the request decides when its changes are kept.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import create_engine, text

from ivr import db_deadlines
from ivr.extensions import db

log = logging.getLogger(__name__)


def commit() -> None:
    """Keep every change the request has made so far (one transaction; none if it opened no session)."""
    if db.session.registry.has():
        db.session.commit()


@contextmanager
def statements_commit_alone():
    """A pooled connection on which each statement commits alone: no BEGIN, no COMMIT round trip.

    For webhooks whose whole work is one read and one write of call bookkeeping (a new call's
    row, a hang-up): two round trips fewer, nothing to undo halfway, no ORM session to build.
    On PostgreSQL the connection comes from a small pool of its own whose commits do not wait
    for the disk (synchronous_commit off): a database crash may forget the last fraction of a
    second of call rows and statuses, which cost reports a call, never a caller anything. What
    a caller recorded (a share) commits on the main pool, durably, as before.
    """
    engine = current_app.extensions.get(_ALONE_ENGINE) or db.engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


_ALONE_ENGINE = "peerline.engine_commit_alone"


def engines() -> list:
    """Every engine this app sends SQL through: the main one and, on PostgreSQL, the commit-alone pool."""
    alone = current_app.extensions.get(_ALONE_ENGINE)
    return [db.engine] + ([alone] if alone is not None else [])


def init_app(app) -> None:
    """PostgreSQL: make the pool statements_commit_alone uses (call inside an app context, after db.init_app)."""
    if db.engine.dialect.name != "postgresql":
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    connect_args = {**options.pop("connect_args", {}), "options": "-c synchronous_commit=off"}
    engine = create_engine(db.engine.url, **options, connect_args=connect_args, pool_size=2)
    db_deadlines.install(app, engine)
    app.extensions[_ALONE_ENGINE] = engine


def session_opened() -> bool:
    """True when this request has opened a database session (read or written anything)."""
    return db.session.registry.has()


def rollback() -> None:
    """Forget every change of the request's open transaction (after a refused change)."""
    db.session.rollback()


def discard() -> None:
    """Forget a failed session without a round trip (its connection may be closed or invalid)."""
    try:
        db.session.rollback()
    except Exception:
        log.warning("rollback after a database failure failed too", exc_info=True)
    db.session.remove()


def engine():
    """The app's engine, for a check that runs outside the request's thread (see ping)."""
    return db.engine


def ping(engine, deadline_s: float) -> None:
    """Run `SELECT 1` on a connection of its own; raises if the database fails or misses the deadline."""
    db_deadlines.set_deadline(deadline_s)  # this helper thread ends too, not only its caller's wait
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
