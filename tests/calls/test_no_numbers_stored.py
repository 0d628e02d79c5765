"""A caller who does everything (share, reminder, stories) leaves no trace of their number in any table."""
import pytest

from ivr.extensions import db
from tests.shares import test_shares_calls as sharing
from tests.stories.factories import NUMBER, returning_caller
from tests.circles.test_circles_reminders import ask_for_reminder
from tests.circles.test_circles_voice import closed_circle

DIGITS = NUMBER.lstrip("+")


@pytest.fixture
def app_config(redis_url):
    """Jobs go to a real Redis queue (nobody works it), as in production."""
    return {"REDIS_URL": redis_url}


def every_value(app):
    """Every value of every row of every table, as text."""
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()).all():
                for value in row:
                    yield table.name, str(value)


def test_a_busy_caller_leaves_no_number_behind(twilio, app):
    returning_caller(app)
    sharing.post(twilio, "/voice/incoming")
    _, draft_id = sharing.the_record(sharing.start_recording(twilio))
    sharing.record_action(twilio)
    sharing.recording_callback(twilio, draft_id)
    sharing.press(twilio, "share_review", "2")  # keep
    closed_circle(app)
    ask_for_reminder(twilio, app, key="1", number=NUMBER)  # a reminder call needs the number: encrypted
    assert len(sharing.shares_in(app)) == 1
    with app.app_context():
        from ivr.circles.models import CircleReminder
        reminder = db.session.execute(db.select(CircleReminder)).scalar_one()
        assert reminder.number_encrypted  # kept to call back, but only encrypted
    tables = {name for name, _ in every_value(app)}
    assert {"shares", "circle_reminders", "callers", "calls"} <= tables
    for needle in (DIGITS, DIGITS[-7:]):  # the whole number, or the local part alone
        leaks = [(name, value[:40]) for name, value in every_value(app) if needle in value]
        assert leaks == [], leaks
