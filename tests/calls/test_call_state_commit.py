"""Voice webhooks commit call state without waiting for the WAL; a kept share commits durably first."""
import pytest
from sqlalchemy import event

from ivr.extensions import db
from tests.shares.test_shares_calls import app_config, caller, press, record_action, start_recording, the_record

pytestmark = pytest.mark.postgres_only  # synchronous_commit is PostgreSQL's


@pytest.fixture
def statements(app):
    """Every SQL statement and COMMIT the app sends, in order."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    on_sql = lambda conn, cursor, statement, *a: seen.append(" ".join(statement.split()[:3]))  # noqa: E731
    on_commit = lambda conn: seen.append("COMMIT")  # noqa: E731
    event.listen(engine, "before_cursor_execute", on_sql)
    event.listen(engine, "commit", on_commit)
    yield seen
    event.remove(engine, "before_cursor_execute", on_sql)
    event.remove(engine, "commit", on_commit)


def test_a_keypress_commits_without_waiting_for_the_disk(twilio, app, caller, statements):  # noqa: F811
    statements.clear()
    press(twilio, "main_menu", "9")
    assert statements[-2:] == ["SET LOCAL synchronous_commit", "COMMIT"]


def test_keeping_a_share_commits_it_durably_before_the_relaxed_commit(twilio, app, caller, statements):  # noqa: F811
    the_record(start_recording(twilio))
    record_action(twilio)
    statements.clear()
    press(twilio, "share_review", "2")  # keep: the share is persisted now
    insert = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO shares"))
    relaxed = statements.index("SET LOCAL synchronous_commit")
    assert "COMMIT" in statements[insert:relaxed]  # the share's own, durable, commit came first
