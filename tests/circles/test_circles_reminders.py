"""Circle reminders: asked for by key, number kept only encrypted, scheduled on rq, placed as an
outbound call (press 1 to join now, 9 to opt out) or a text; idempotent; `peerline circles`."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ivr.circles import domain as circles
from ivr.circles import reminders
from ivr.calls.callers import number_hash
from ivr.extensions import db
from ivr.circles.models import CircleParticipant, CircleReminder
from tests.conftest import REDIS_URL
from tests.circles.test_circles_voice import closed_circle, open_circle
from tests.calls.test_voice_incoming import NUMBER, _returning_caller, call, press
from tests.twiml import gather, spoken
from workers.reminders import send_due, send_reminder


def ask_for_reminder(twilio, app, key="1", number=NUMBER):
    """From the main menu: circles, reminder (the only circle), call (1) or text (2)."""
    call(twilio, number=number)
    press(twilio, "main_menu", "2", number=number)
    root = press(twilio, "circle_menu", "2", number=number)
    assert gather(root).get("action").endswith("/voice/step/circle_reminder_channel/input")
    return press(twilio, "circle_reminder_channel", key, number=number)


def only_reminder(app) -> CircleReminder:
    """The one reminder in the database."""
    return db.session.execute(select(CircleReminder)).scalar_one()


def make_due(app, meeting_in=timedelta(minutes=10)):
    """Move the reminder's meeting (and so its reminder) to now + meeting_in."""
    with app.app_context():
        reminder = only_reminder(app)
        reminder.meeting_at = datetime.now(timezone.utc) + meeting_in
        reminder.remind_at = reminder.meeting_at - reminders.LEAD
        db.session.commit()
        return reminder.id


def test_reminder_request_keeps_the_number_only_encrypted(twilio, app):
    closed_circle(app)
    _returning_caller(twilio, app)
    root = ask_for_reminder(twilio, app)
    assert "We will remind you before Family meets" in spoken(root)
    with app.app_context():
        reminder = only_reminder(app)
        assert reminder.channel == "call" and reminder.status == "pending"
        assert reminder.remind_at == reminder.meeting_at - timedelta(minutes=10)
        assert "1234567" not in reminder.number_encrypted
        assert reminders.number_for(reminder) == NUMBER
        # No column of any table holds the digits of the number in the clear.
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()).all():
                assert not any("5551234567" in str(value) for value in row), table.name
    # Asking again updates the same reminder instead of adding one.
    ask_for_reminder(twilio, app, key="2")
    with app.app_context():
        assert only_reminder(app).channel == "sms"


def test_withheld_number_cannot_get_a_reminder(twilio, app):
    closed_circle(app)
    root = ask_for_reminder(twilio, app, number="anonymous")
    assert "Your number is hidden" in spoken(root)
    with app.app_context():
        assert db.session.execute(select(CircleReminder)).first() is None


@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL}])
def test_reminder_is_scheduled_on_rq_for_ten_minutes_before(twilio, app, redis_url):
    from redis import Redis
    from rq import Queue
    closed_circle(app)
    _returning_caller(twilio, app)
    ask_for_reminder(twilio, app)
    with app.app_context():
        reminder = only_reminder(app)
        queue = Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(redis_url))
        job_id = f"circle-reminder-{reminder.id}"
        assert job_id in queue.scheduled_job_registry.get_job_ids()
        job = queue.fetch_job(job_id)
        assert job.func_name == "workers.reminders.send_reminder" and job.args == (reminder.id,)
        when = queue.scheduled_job_registry.get_scheduled_time(job)
        assert abs((when - reminder.remind_at.astimezone(timezone.utc)).total_seconds()) < 1


def test_reminder_call_lets_the_caller_join_now(twilio, app, sim):
    open_circle(app)
    _returning_caller(twilio, app)
    ask_for_reminder(twilio, app)
    reminder_id = make_due(app)
    sim.phone(NUMBER, script=["1", "2"])  # join now, skip the first name
    with app.app_context():
        assert send_reminder(reminder_id) == "sent"
    sim.settle()
    outbound = [c for c in sim.calls if c.direction == "outbound-api"]
    assert len(outbound) == 1 and outbound[0].to == NUMBER
    heard = outbound[0].heard()
    assert "Your circle, Grief and loss, starts in ten minutes" in heard
    assert outbound[0].waiting is not None and outbound[0].waiting.kind == "conference"
    with app.app_context():
        reminder = only_reminder(app)
        assert reminder.status == "sent" and reminder.number_encrypted is None
        assert reminder.call_sid == outbound[0].sid
        assert db.session.execute(select(CircleParticipant)).scalar_one().call_sid == outbound[0].sid
        # Sending again does nothing: no second call.
        assert send_reminder(reminder_id).startswith("skipped")
    sim.settle()
    assert len([c for c in sim.calls if c.direction == "outbound-api"]) == 1


def test_opt_out_by_key_cancels_and_forgets_the_number(twilio, app, sim):
    open_circle(app)
    _returning_caller(twilio, app)
    ask_for_reminder(twilio, app)
    reminder_id = make_due(app)
    sim.phone(NUMBER, script=["2"])
    with app.app_context():
        assert send_reminder(reminder_id) == "sent"
    sim.settle()
    outbound = [c for c in sim.calls if c.direction == "outbound-api"][0]
    assert "We will not remind you again" in outbound.heard() and outbound.ended
    with app.app_context():
        reminder = only_reminder(app)
        assert reminder.opted_out and reminder.number_encrypted is None


def test_reminder_text_message(twilio, app, sim):
    closed_circle(app)
    _returning_caller(twilio, app)
    ask_for_reminder(twilio, app, key="2")
    reminder_id = make_due(app)
    with app.app_context():
        assert send_reminder(reminder_id) == "sent"
    assert len(sim.outbox) == 1
    message = sim.outbox[0]
    assert message["to"] == NUMBER and "Family" in message["body"] and "Reply STOP" in message["body"]
    assert "today at" in message["body"] or "tomorrow at" in message["body"]


def test_transient_failure_retries_then_sends(twilio, app, sim):
    closed_circle(app)
    _returning_caller(twilio, app)
    ask_for_reminder(twilio, app, key="2")
    reminder_id = make_due(app)
    sim.faults.rest_error_status = 503
    sim.faults.rest_fail_next = 1
    with app.app_context():
        assert send_reminder(reminder_id) == "retrying"
        reminder = only_reminder(app)
        assert (reminder.status, reminder.attempts) == ("pending", 1) and reminder.number_encrypted
        assert send_due() == {"sent": 1}
    assert len(sim.outbox) == 1


def test_past_meeting_is_not_reminded(twilio, app, sim):
    closed_circle(app)
    _returning_caller(twilio, app)
    ask_for_reminder(twilio, app)
    reminder_id = make_due(app, meeting_in=timedelta(minutes=-1))
    with app.app_context():
        assert send_reminder(reminder_id) == "too late"
        assert only_reminder(app).number_encrypted is None
    assert not sim.outbox and not [c for c in sim.calls if c.direction == "outbound-api"]


def test_cli_creates_circles_and_facilitators(runner, app):
    result = runner.invoke(args=["circles", "create", "--number", "12", "--name", "Evening circle",
                                 "--days", "tue,thu", "--time", "7pm", "--tz", "America/Chicago", "--cap", "8"])
    assert result.exit_code == 0, result.output
    assert "circle 12 created" in result.output
    result = runner.invoke(args=["circles", "add-facilitator", "--circle", "12", "--label", "Sam",
                                 "--phone", "+15550107777"], input="432109\n432109\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["circles", "create", "--number", "13", "--name", "Too big", "--days", "mon",
                                 "--time", "19:00", "--cap", "251"])
    assert result.exit_code != 0 and "250" in result.output
    result = runner.invoke(args=["circles", "list"])
    assert "Evening circle" in result.output and "cap 8" in result.output
    with app.app_context():
        circle = circles.find_circle(12)
        assert circle.timezone == "America/Chicago" and circle.start_time.hour == 19
        assert circles.verify_facilitator(circle, "432109") is not None
        assert circles.registered_facilitator_phone(circle, type("C", (), {"number_hash": number_hash(
            "+15550107777", app.config["CALLER_HASH_KEY"])})())
    assert runner.invoke(args=["circles", "remind"]).output.strip() == "nothing due"


def test_a_reminder_whose_worker_died_mid_send_is_sent_by_the_sweep(twilio, app, sim):
    from workers import sweep
    closed_circle(app)
    _returning_caller(twilio, app)
    ask_for_reminder(twilio, app, key="2")
    reminder_id = make_due(app, meeting_in=timedelta(minutes=6))  # due 4 minutes ago
    with app.app_context():
        assert reminders.claim(reminder_id)  # a worker took it, then was killed
        db.session.commit()
        fresh = reminders.release_stuck(stuck_after=timedelta(minutes=5))
        assert fresh == []  # a claim this young may still be sending
        report = sweep.run()
        assert report.reminders_released == [reminder_id]
        assert only_reminder(app).status == "pending"
        assert send_due() == {"sent": 1}
    assert len(sim.outbox) == 1
