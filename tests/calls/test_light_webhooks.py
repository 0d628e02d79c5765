"""Light webhooks: menu state in Twilio's signed URLs, two statements for a new call, none per menu key."""
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, select, text

from ivr import database
from ivr.calls.call_state import CallState, StateError
from ivr.extensions import db
from ivr.calls.models import Call, Caller, CallStep, CallTally
from tests.twiml import gather, parse, spoken

NUMBER = "+15551234567"
FORM = {"CallSid": "CA1", "From": NUMBER, "To": "+15550001111", "AccountSid": "AC" + "1" * 32,
        "CallStatus": "in-progress"}


@contextmanager
def on_every_statement(app, record):
    """Call record(connection, statement) for every statement any of the app's engines sends in the block."""
    with app.app_context():
        engines = database.engines()
    listener = lambda conn, cursor, statement, *rest: record(conn, statement)  # noqa: E731
    for engine in engines:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", listener)


@contextmanager
def statements(app):
    """Every SQL statement the app sends while the block runs (BEGIN and COMMIT are not statements)."""
    sent: list[str] = []
    with on_every_statement(app, lambda conn, statement: sent.append(statement)):
        yield sent


def post(twilio, url, **form):
    """Follow an absolute action URL exactly as Twilio does: its path and raw query, signed."""
    parts = urlsplit(url)
    return parse(twilio.post(parts.path + (f"?{parts.query}" if parts.query else ""), {**FORM, **form}))


def returning_caller(app, language="en"):
    with app.app_context():
        from ivr.calls import callers
        db.session.add(Caller(number_hash=callers.number_hash(NUMBER, app.config["CALLER_HASH_KEY"]),
                              language=language, heard_howto=True))
        db.session.commit()


def action(root) -> str:
    return gather(root).get("action")


def state_of(url: str) -> CallState:
    return CallState.decode(urlsplit(url).path.split("/")[2])


def test_incoming_call_is_one_read_and_one_write(twilio, app):
    returning_caller(app)
    with statements(app) as sent:
        root = post(twilio, "/voice/incoming")
    assert "To hear stories from other people" in spoken(root)
    assert len(sent) <= 2, sent
    assert sent[0].lstrip().upper().startswith("SELECT") and "callers" in sent[0]
    assert sent[1].lstrip().upper().startswith("INSERT INTO CALLS")
    with app.app_context():  # the write is the call, with the state its first answer left
        row = db.session.execute(select(Call)).scalar_one()
        assert (row.call_sid, row.step, row.language) == ("CA1", "main_menu", "en")


def test_first_time_caller_is_not_written_until_they_choose(twilio, app):
    with statements(app) as sent:
        root = post(twilio, "/voice/incoming")
    assert len(sent) <= 2 and "For English" in spoken(root)
    with app.app_context():
        assert db.session.execute(select(Caller)).first() is None  # nothing to remember yet
    post(twilio, action(root), Digits="2")  # Spanish: a preference, so now the caller is kept
    with app.app_context():
        assert db.session.execute(select(Caller)).scalar_one().language == "es"


def test_menu_keypresses_send_no_sql(twilio, app):
    returning_caller(app)
    root = post(twilio, "/voice/incoming")
    with statements(app) as sent:
        options = post(twilio, action(root), Digits="9")
        back = post(twilio, action(options), Digits="#")
        again = post(twilio, action(back), Digits="*")
        missed = post(twilio, action(again), Digits="7")
    assert sent == []
    assert "Options. To change the language, press 1." in spoken(options)
    assert "To hear stories from other people" in spoken(back) and "To hear stories" in spoken(again)
    assert state_of(action(missed)).misses == 1 and state_of(action(missed)).step == "main_menu"


def test_a_tampered_state_is_refused_by_the_signature_check(twilio, app):
    returning_caller(app)
    url = action(post(twilio, "/voice/incoming"))
    state = state_of(url)
    state.misses = 1  # one miss away from "let's start again", or a language the caller never chose
    forged = url.replace(urlsplit(url).path.split("/")[2], state.encode())
    parts = urlsplit(forged)
    # Signed for the URL Peerline wrote, sent to another: what an attacker without the token can do.
    signature = twilio.validator.compute_signature(url, {**FORM, "Digits": "5"})
    r = twilio.client.post(parts.path, data={**FORM, "Digits": "5"}, headers={"X-Twilio-Signature": signature})
    assert r.status_code == 403
    assert post(twilio, url, Digits="9") is not None  # the URL as written is accepted


def test_unreadable_state_is_refused():
    with pytest.raises(StateError):
        CallState.decode("2.en.main_menu..0.0.0...")
    with pytest.raises(StateError):
        CallState.decode("1.en.main menu..0.0.0...")
    state = CallState(language="es", step="options", return_step="main_menu", misses=1, silences=3, errors=1,
                      caller_id=42, flags={"h", "s"}, unlocked={7, 12})
    assert CallState.decode(state.encode()) == state


def test_ten_silences_end_the_call_on_url_state_alone(twilio, app):
    returning_caller(app)
    root = post(twilio, "/voice/incoming")
    with statements(app) as sent:
        for n in range(1, 10):
            root = post(twilio, action(root), Digits="")
            assert state_of(action(root)).silences == n  # the count travels with the call
        goodbye = post(twilio, action(root), Digits="")
    assert sent == []
    assert goodbye.find("Hangup") is not None and "1, 5, 5, 5" in spoken(goodbye)  # the number said slowly


def test_a_key_between_silences_starts_the_count_again(twilio, app):
    returning_caller(app)
    root = post(twilio, "/voice/incoming")
    for _ in range(5):
        root = post(twilio, action(root), Digits="")
    root = post(twilio, action(root), Digits="9")
    assert state_of(action(root)).silences == 0


def test_a_retried_keypress_answers_the_same(twilio, app):
    returning_caller(app)
    url = action(post(twilio, "/voice/incoming"))
    first, second = post(twilio, url, Digits="9"), post(twilio, url, Digits="9")
    assert spoken(first) == spoken(second) and action(first) == action(second)


def test_status_callback_before_the_last_keypress_is_harmless(twilio, app):
    returning_caller(app)
    url = action(post(twilio, "/voice/incoming"))
    r = twilio.post("/voice/status", {**FORM, "CallStatus": "completed", "CallDuration": "30"})
    assert r.status_code == 204
    late = post(twilio, url, Digits="0")  # the crisis key still works, whatever arrived first
    assert late.find("Dial") is not None or "crisis" in spoken(late).lower()
    with app.app_context():
        row = db.session.execute(select(Call)).scalar_one()
        assert row.status == "completed" and row.duration_s == 30
        tallies = {(t.event, t.n) for t in db.session.execute(select(CallTally)).scalars()}
        assert tallies == {("crisis_press", 1), ("crisis", 1)}


def test_crisis_from_a_menu_comes_back_there(twilio, app):
    returning_caller(app)
    options = post(twilio, action(post(twilio, "/voice/incoming")), Digits="9")
    crisis = post(twilio, action(options), Digits="0")
    dial = crisis.find("Dial")
    assert dial is not None and state_of(dial.get("action")).return_step == "options"
    after = post(twilio, dial.get("action"), DialCallStatus="completed")
    assert "Options. To change the language, press 1." in spoken(after)
    with app.app_context():
        assert db.session.execute(select(CallStep)).first() is None


def test_errors_travel_in_the_state_so_a_persistent_fault_ends_kindly(twilio, app, monkeypatch):
    returning_caller(app, language="es")
    url = action(post(twilio, action(post(twilio, "/voice/incoming")), Digits="9"))  # options
    from ivr.calls import engine

    def broken(*args, **kwargs):
        raise RuntimeError("a fault in the flow")

    monkeypatch.setattr(engine, "handle_input", broken)
    first = post(twilio, url, Digits="1")
    assert "Perdón, algo falló" in spoken(first)  # the apology in the call's language, from the URL
    redirect = first.find("Redirect").text
    assert state_of(redirect).errors == 1 and redirect.endswith("/voice/step/main_menu")
    menu = post(twilio, redirect)
    assert state_of(action(menu)).errors == 1
    second = post(twilio, action(menu).replace("main_menu", "options"), Digits="1")
    assert second.find("Hangup") is not None and second.find("Redirect") is None


def test_a_webhook_runs_none_of_the_staff_pages_machinery(twilio, app):
    returning_caller(app)
    r = twilio.post("/voice/incoming", FORM)
    assert r.status_code == 200
    assert "Cookie" not in r.headers.get("Vary", "") and "Set-Cookie" not in r.headers
    hooks = [getattr(f, "__qualname__", repr(f)) for f in app.before_request_funcs[None] + app.after_request_funcs[None]]
    assert not [h for h in hooks if "Limiter" in h or "csrf" in h or "LoginManager" in h], hooks
    assert any("Limiter" in getattr(f, "__qualname__", "") for f in app.before_request_funcs["staff"])


@contextmanager
def autocommit_flags(app):
    """For every statement sent: was its connection committing each statement alone?"""
    seen: list[bool] = []

    def record(conn, statement):
        raw = conn.connection.dbapi_connection  # psycopg says autocommit; sqlite3, isolation_level None
        seen.append(raw.autocommit is True if conn.dialect.name == "postgresql" else raw.isolation_level is None)
    with on_every_statement(app, record):
        yield seen


def test_a_new_call_and_its_hang_up_send_no_begin_or_commit(twilio, app):
    returning_caller(app)
    with autocommit_flags(app) as incoming:
        post(twilio, "/voice/incoming")
    with statements(app) as sent, autocommit_flags(app) as hang_up:
        r = twilio.post("/voice/status", {**FORM, "CallStatus": "completed", "CallDuration": "42"})
    assert r.status_code == 204
    assert incoming == [True, True] and hang_up == [True]
    assert len(sent) == 1 and sent[0].lstrip().upper().startswith("UPDATE CALLS")


def test_a_late_or_repeated_hang_up_keeps_the_first_end(twilio, app):
    returning_caller(app)
    post(twilio, "/voice/incoming")
    twilio.post("/voice/status", {**FORM, "CallStatus": "completed", "CallDuration": "42"})
    with app.app_context():
        first = db.session.execute(select(Call)).scalar_one().ended_at
    twilio.post("/voice/status", {**FORM, "CallStatus": "in-progress"})  # not final: nothing changes
    twilio.post("/voice/status", {**FORM, "CallStatus": "completed"})  # a repeat without the duration
    twilio.post("/voice/status", {**FORM, "CallSid": "CAnever", "CallStatus": "completed"})  # unknown call
    with app.app_context():
        row = db.session.execute(select(Call)).scalar_one()
        assert (row.status, row.duration_s, row.ended_at) == ("completed", 42, first)


@pytest.mark.postgres_only
def test_call_bookkeeping_commits_without_waiting_for_the_disk_and_shares_still_wait(app):
    with app.app_context():
        with database.statements_commit_alone() as conn:  # a new call's row, a hang-up
            assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
        # Everything else (a share a caller recorded, a moderator's decision) commits durably.
        assert db.session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
