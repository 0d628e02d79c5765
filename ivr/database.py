"""The database as views see it: end the request's unit of work, or check the database answers.

Views run no SQL of their own (tests/test_views_run_no_sql.py): feature modules read and change
rows and only flush; the view that served the request decides when its changes are kept.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

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
    options = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "pool_pre_ping": False, "pool_size": 2}
    engine = create_engine(db.engine.url, **options)
    db_deadlines.install(app, engine)
    db_deadlines.ping_when_idle(engine)

    @event.listens_for(engine, "connect")
    def _commits_do_not_wait_for_the_disk(dbapi_connection, record):
        # A SET on each new connection (not a startup option, which poolers such as PgBouncer refuse).
        was = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SET synchronous_commit TO off")
        dbapi_connection.autocommit = was

    app.extensions[_ALONE_ENGINE] = engine


def retry_once_if_disconnected(work):
    """Run work(); if its connection had gone away (a restart, not a hung server), once more on a fresh one.

    For call bookkeeping whose statements are safe to repeat (a SELECT, an INSERT that ignores an
    existing row, an UPDATE to the same values) and that opened no session: a restarted database
    costs the caller nothing.
    """
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated or isinstance(exc.orig, db_deadlines.DeadlineExceeded):
            raise
        if session_opened():  # work done in the session is not repeated: Flask's error answer takes over
            raise
        log.warning("the database connection had gone away; trying once more on a fresh one")
        return work()


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
