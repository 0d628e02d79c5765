"""The call-bookkeeping pool pings a connection on checkout only after a second idle: a busy pool
sends no extra round trip, a connection a restart killed while idle is replaced unseen, and one
killed inside the second is met by one retry on a fresh connection, unseen too."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text

from ivr import database, db_deadlines
from ivr.extensions import db
from tests.calls.test_light_webhooks import FORM, returning_caller
from tests.twiml import parse, spoken

pytestmark = pytest.mark.postgres_only


def pooled_backend(app) -> int:
    """The server process behind the connection a new call's pool will hand out next."""
    with app.app_context(), database.statements_commit_alone() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def kill(app, pid: int) -> None:
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    admin.dispose()


def new_call(twilio, sid: str):
    return spoken(parse(twilio.post("/voice/incoming", {**FORM, "CallSid": sid})))


def pings(app) -> list[int]:
    """Count the pings the pool sends (SELECT 1 straight on the driver connection)."""
    sent: list[int] = []
    with app.app_context():
        dialects = [engine.dialect for engine in database.engines()]
    for dialect in dialects:
        def counted(dbapi_connection, real=dialect.do_ping):
            sent.append(1)
            return real(dbapi_connection)
        dialect.do_ping = counted
    return sent


def test_a_busy_pool_sends_no_ping(twilio, app):
    returning_caller(app)
    sent = pings(app)
    for i in range(5):
        assert "To hear stories" in new_call(twilio, f"CAbusy{i}")
    assert sent == []


def test_a_connection_killed_while_idle_is_replaced_unseen(twilio, app, monkeypatch):
    returning_caller(app)
    kill(app, pooled_backend(app))
    monkeypatch.setattr(db_deadlines, "PING_AFTER_IDLE_S", 0.0)  # as if it had sat idle a while
    sent = pings(app)
    assert "To hear stories" in new_call(twilio, "CAidle")  # no apology: the ping found it dead
    assert sent  # it was pinged (and so was its fresh replacement, with no idle allowance)


def test_a_connection_killed_inside_the_second_is_asked_again_unseen(twilio, app):
    returning_caller(app)
    kill(app, pooled_backend(app))  # used a moment ago: no ping, so the first statement finds it dead
    assert "To hear stories" in new_call(twilio, "CAfirst")  # retried once on a fresh connection
    hung_up = twilio.post("/voice/status", {**FORM, "CallSid": "CAfirst", "CallStatus": "completed"})
    assert hung_up.status_code == 204
    with app.app_context():
        status = db.session.execute(text("SELECT status FROM calls WHERE call_sid = 'CAfirst'")).scalar_one()
    assert status == "completed"


def test_a_killed_connection_on_the_hang_up_is_asked_again(twilio, app):
    returning_caller(app)
    new_call(twilio, "CAend")
    kill(app, pooled_backend(app))
    assert twilio.post("/voice/status", {**FORM, "CallSid": "CAend", "CallStatus": "completed"}).status_code == 204
    with app.app_context():
        assert db.session.execute(text("SELECT status FROM calls WHERE call_sid = 'CAend'")).scalar_one() == "completed"
