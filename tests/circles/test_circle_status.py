"""ivr.circles.status: one answer to "open now / next meeting" for the phone, the CLI and reminders,
and schedule phrases said once and naturally ("meets next Monday", never "meets next next Monday")."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ivr.circles import status as circle_status
from ivr.circles import domain as circles
from ivr.circles import reminders
from ivr.extensions import db
from ivr.calls.models import Caller
from ivr.circles.models import CircleReminder
from tests.calls.test_voice_incoming import NUMBER, _returning_caller, call, press
from tests.twiml import gather, spoken

NY = ZoneInfo("America/New_York")


def tuesday_circle(**overrides):
    """A Tuesday/Thursday 7 PM New York circle, 60 minutes."""
    spec = dict(number=3, name="Grief and loss", days="tue,thu", start_time="19:00",
                timezone_name="America/New_York")
    spec.update(overrides)
    return circles.create_circle(**spec)


def zone_at_noon() -> str:
    """A fixed-offset zone (no daylight saving) where the local time is now between 11:00 and 13:00,
    so a test can put a meeting earlier or later "today" without racing midnight."""
    offset = 12 - datetime.now(timezone.utc).hour  # -11 .. +12
    # Etc/GMT signs are inverted: Etc/GMT-3 is three hours ahead of UTC.
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


# ---- the status -------------------------------------------------------------------------------

def test_status_open_in_the_window_and_next_time_is_the_meeting_after(app):
    with app.app_context():
        circle = tuesday_circle()
        tuesday = datetime(2026, 3, 3, tzinfo=NY)
        early = circle_status.status_of(circle, tuesday.replace(hour=18, minute=55))  # the doors open early
        assert early.open and not early.live
        assert early.meeting.start == tuesday.replace(hour=19)
        assert early.next_time.start == datetime(2026, 3, 5, 19, 0, tzinfo=NY)  # Thursday, not this one
        during = circle_status.status_of(circle, tuesday.replace(hour=19, minute=30))
        assert during.open and during.meeting.start == tuesday.replace(hour=19)
        assert during.next_time.start == datetime(2026, 3, 5, 19, 0, tzinfo=NY)
        closed = circle_status.status_of(circle, tuesday.replace(hour=12))
        assert not closed.open and closed.meeting == closed.next_time
        assert closed.meeting.start == tuesday.replace(hour=19)


def test_a_live_meeting_is_open_whatever_the_clock_says(app):
    with app.app_context():
        circle = tuesday_circle()
        session = circles.open_session(circle)
        session.status = "live"  # the facilitator started it outside the scheduled window
        db.session.flush()
        tuesday = datetime(2026, 3, 3, tzinfo=NY)
        early = tuesday.replace(hour=18, minute=30)  # half an hour early: this is Tuesday's meeting
        found = circle_status.status_of(circle, early)
        assert found.open and found.live and not found.meeting.is_open(early)
        assert found.next_time.start == datetime(2026, 3, 5, 19, 0, tzinfo=NY)
        assert circle_status.staff_text(circle, early) == \
            "Open now (started by the facilitator); next meeting Thu 5 Mar 19:00 America/New_York"
        noon = tuesday.replace(hour=12)  # an extra meeting: tonight's still comes
        assert circle_status.status_of(circle, noon).next_time.start == tuesday.replace(hour=19)
        session.status = "ended"
        db.session.flush()
        assert not circle_status.status_of(circle, noon).open


def test_staff_text_names_the_end_or_the_next_start_in_the_circles_zone(app):
    with app.app_context():
        circle = tuesday_circle()
        tuesday = datetime(2026, 3, 3, tzinfo=NY)
        assert circle_status.staff_text(circle, tuesday.replace(hour=19, minute=5)) == \
            "Open now until Tue 3 Mar 20:00 America/New_York"
        assert circle_status.staff_text(circle, tuesday.replace(hour=20, minute=30)) == \
            "Next meeting Thu 5 Mar 19:00 America/New_York"


def test_a_reminder_asked_while_the_circle_is_open_is_for_the_next_meeting(app):
    with app.app_context():
        circle = tuesday_circle()
        caller = Caller(number_hash="h" * 64, language="en", heard_howto=True)
        db.session.add(caller)
        db.session.flush()
        doors_open = datetime(2026, 3, 3, 18, 55, tzinfo=NY)  # five minutes before Tuesday's start
        reminder = reminders.request(circle, caller, NUMBER, "call", "en", now=doors_open)
        assert reminder.meeting_at == datetime(2026, 3, 5, 19, 0, tzinfo=NY)  # Thursday's
        assert db.session.execute(select(CircleReminder)).scalar_one().id == reminder.id


# ---- the same answer on the phone and in the CLI ------------------------------------------------

def test_cli_create_list_and_the_phone_agree_on_a_circle_open_now(runner, app, twilio):
    start = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%H:%M")
    result = runner.invoke(args=["circles", "create", "--number", "12", "--name", "Evening circle",
                                 "--days", "mon,tue,wed,thu,fri,sat,sun", "--time", start, "--duration", "120"])
    assert result.exit_code == 0, result.output
    assert "circle 12 created: Evening circle. Open now until " in result.output
    assert "Next meeting" not in result.output  # not a meeting a week away
    listed = runner.invoke(args=["circles", "list"]).output
    assert "Evening circle" in listed and "Open now until " in listed
    _returning_caller(twilio, app)
    call(twilio)
    said = spoken(press(twilio, "main_menu", "2"))
    assert "Circle 12, Evening circle, is open now." in said


def test_cli_says_the_next_meeting_of_a_closed_circle(runner, app):
    with app.app_context():
        circle = tuesday_circle(number=14, name="Later")
        db.session.commit()
        expected = circle_status.staff_text(circle)
    assert expected.startswith("Next meeting ") or expected.startswith("Open now until ")
    listed = runner.invoke(args=["circles", "list"]).output
    assert "Later" in listed and expected in listed


# ---- schedule phrases, said by the phone ----------------------------------------------------------

def _hear_circles(twilio, app, language="en") -> str:
    _returning_caller(twilio, app)
    if language != "en":
        with app.app_context():
            db.session.execute(select(Caller)).scalar_one().language = language
            db.session.commit()
    call(twilio)
    root = press(twilio, "main_menu", "2")
    assert gather(root).get("action").endswith("/voice/step/circle_menu/input")
    return spoken(root)


def _circle_in_noon_zone(app, number, name, start, days=None, language="en"):
    with app.app_context():
        tz = zone_at_noon()
        today = datetime.now(ZoneInfo(tz)).weekday()
        circles.create_circle(number=number, name=name, days=days or str(today), start_time=start,
                              timezone_name=tz, duration_min=30, language=language)
        db.session.commit()


def test_a_circle_a_week_away_meets_next_monday_not_next_next(twilio, app):
    # It met this morning (local midnight): the next meeting is the same weekday next week.
    _circle_in_noon_zone(app, 5, "Family", "00:00")
    said = _hear_circles(twilio, app)
    day = datetime.now(ZoneInfo(zone_at_noon())).strftime("%A")
    assert f"Circle 5, Family, meets next {day} at midnight." in said
    assert "next next" not in said


def test_a_circle_later_today_meets_today_not_next_today(twilio, app):
    _circle_in_noon_zone(app, 5, "Family", "23:02")
    said = _hear_circles(twilio, app)
    assert "Circle 5, Family, meets today at 11:02 PM." in said
    assert "next today" not in said


def test_spanish_schedule_phrases(twilio, app):
    _circle_in_noon_zone(app, 5, "Familia", "23:02", language="es")
    _circle_in_noon_zone(app, 6, "Duelo", "00:00", language="es")
    said = _hear_circles(twilio, app, language="es")
    assert "El círculo 5, Familia, se reúne hoy a las 11:02 de la noche." in said
    day = {0: "lunes", 1: "martes", 2: "miércoles", 3: "jueves", 4: "viernes", 5: "sábado", 6: "domingo"}[
        datetime.now(ZoneInfo(zone_at_noon())).weekday()]
    assert f"El círculo 6, Duelo, se reúne el próximo {day} a las 12 de la noche." in said
    assert "Este círculo es en" not in said  # both are Spanish circles

