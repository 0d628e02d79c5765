"""Database deadlines, so a hung PostgreSQL fails a webhook in seconds, not when gunicorn kills it.

A frozen server (SIGSTOP, a stalled host) never enforces its own statement_timeout, and the kernel
still acknowledges TCP, so no socket timeout fires either: only the client can give up. Every
connection is a DeadlineConnection whose waits on the server end after the current deadline; a
web request sets DB_STATEMENT_TIMEOUT_S (5 s), background work keeps none. Connecting is bounded
by DB_CONNECT_TIMEOUT_S (3 s) everywhere. SQLite is left alone.
"""
from __future__ import annotations

import time
from contextvars import ContextVar

from flask import Flask, current_app
from sqlalchemy import event, exc
import psycopg
from psycopg import errors

_deadline: ContextVar[float | None] = ContextVar("peerline_db_deadline", default=None)
#: On the call-bookkeeping pool (ivr.database.statements_commit_alone), a connection used less
#: than this long ago goes out without a ping: under load every new call saves a round trip. One
#: idle longer (a restart may have closed it) is pinged and, if dead, replaced, as pool_pre_ping
#: does; a restart inside that second is met by ivr.database.retry_once_if_disconnected.
#: The main pool keeps SQLAlchemy's pre-ping on every checkout.
PING_AFTER_IDLE_S = 1.0
_LAST_USED = "peerline_last_used"


def configure(app: Flask) -> None:
    """Engine options for PostgreSQL (call before db.init_app): connect timeout, pool limits."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    connect = int(app.config["DB_CONNECT_TIMEOUT_S"])
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.setdefault("connect_args", {}).setdefault("connect_timeout", connect)
    options.setdefault("pool_timeout", connect)  # waiting for a pooled connection is bounded too
    options.setdefault("pool_pre_ping", True)  # a connection the deadline closed is never reused
    app.before_request(_start_request_deadline)
    app.teardown_request(_end_request_deadline)


def install(app: Flask, engine) -> None:
    """Make the engine open DeadlineConnections (call after db.init_app, in an app context)."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, conn_rec, cargs, cparams):
        return _connection_class().connect(*cargs, **cparams)


def ping_when_idle(engine) -> None:
    """Ping a pooled connection on checkout only if it sat idle PING_AFTER_IDLE_S (for a pool without pre-ping)."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _in_use_until_now(dbapi_connection, record):
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        """SQLAlchemy's pre-ping, for connections idle over PING_AFTER_IDLE_S only."""
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as err:
            if engine.dialect.is_disconnect(err, dbapi_connection, None):
                raise exc.InvalidatePoolError() from err  # the pool connects afresh, as pre-ping does
            raise


def _start_request_deadline():
    _deadline.set(float(current_app.config["DB_STATEMENT_TIMEOUT_S"]))


def _end_request_deadline(exc=None):
    _deadline.set(None)


def set_deadline(seconds: float | None) -> None:
    """Bound database round trips in this thread/context (helper threads do not inherit it)."""
    _deadline.set(seconds)


def current_deadline() -> float | None:
    """Seconds a single database round trip may take now (None: no limit)."""
    return _deadline.get()


class DeadlineExceeded(psycopg.OperationalError):
    """The database did not answer in time (hung or frozen): not worth asking again in this request."""


_CLASS = None


def _connection_class():
    """psycopg.Connection whose waits end at the current deadline (built once, lazily)."""
    global _CLASS
    if _CLASS is None:

        class DeadlineConnection(psycopg.Connection):
            """A psycopg connection that gives up on a silent server at the current deadline."""

            def wait(self, gen, interval=0.1, timeout=None):
                """Wait for the server, at most the deadline; then close (never reuse) and raise."""
                limit = timeout or _deadline.get()
                try:
                    return super().wait(gen, interval=interval, timeout=limit)
                except errors._WaitTimeout:
                    self.close()  # mid-protocol: unusable; closed marks it a disconnect for the pool
                    raise DeadlineExceeded(
                        f"the database did not answer within {limit:g}s; connection closed") from None

        _CLASS = DeadlineConnection
    return _CLASS
