"""ivr.circles.schedule and ivr.circles: schedules spoken naturally, PINs, admission, and a roster built
from conference callbacks that repeat and arrive out of order."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.circles import schedule
from ivr.extensions import db
from ivr.circles.models import CircleFacilitator, CircleParticipant

NY = ZoneInfo("America/New_York")


def make_circle(**overrides):
    """A Tuesday/Thursday 7 PM New York circle (overridable)."""
    spec = dict(number=3, name="Grief and loss", days="tue,thu", start_time="19:00",
                timezone_name="America/New_York", cap=12)
    spec.update(overrides)
    return circles.create_circle(**spec)


# ---- schedule ---------------------------------------------------------------------------------

def test_next_meeting_is_zone_aware_across_daylight_saving(app):
    with app.app_context():
        circle = make_circle()
        # Monday 2 March 2026, noon in New York (EST, UTC-5).
        before_dst = datetime(2026, 3, 2, 12, 0, tzinfo=NY)
        meeting = schedule.next_meeting(circle, before_dst)
        assert meeting.start == datetime(2026, 3, 3, 19, 0, tzinfo=NY)
        assert meeting.start.astimezone(timezone.utc).hour == 0  # 19:00 EST is 00:00 UTC
        # After the clocks change (8 March 2026) the circle still meets at 7 PM local.
        after_dst = datetime(2026, 3, 9, 12, 0, tzinfo=NY)
        meeting = schedule.next_meeting(circle, after_dst)
        assert (meeting.start.hour, meeting.start.astimezone(timezone.utc).hour) == (19, 23)
        assert meeting.end - meeting.start == timedelta(minutes=60)


def test_open_now_from_ten_minutes_before_until_the_end(app):
    with app.app_context():
        circle = make_circle()
        tuesday = datetime(2026, 3, 3, tzinfo=NY)
        assert not schedule.open_now(circle, tuesday.replace(hour=18, minute=49))
        assert schedule.open_now(circle, tuesday.replace(hour=18, minute=50))
        assert schedule.open_now(circle, tuesday.replace(hour=19, minute=59))
        assert not schedule.open_now(circle, tuesday.replace(hour=20, minute=0))
        assert not schedule.open_now(circle, datetime(2026, 3, 4, 19, 15, tzinfo=NY))  # Wednesday


def test_spoken_naturally_in_english_and_spanish(app):
    prompts = app.extensions["peerline.flows"].prompts
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    tuesday_7pm = datetime(2026, 3, 3, 19, 0, tzinfo=NY)
    assert schedule.spoken_when(tuesday_7pm, "en", prompts, monday) == "tomorrow at 7 PM"
    assert schedule.spoken_when(tuesday_7pm, "es", prompts, monday) == "mañana a las 7 de la tarde"
    thursday = datetime(2026, 3, 5, 19, 30, tzinfo=NY)
    assert schedule.spoken_when(thursday, "en", prompts, monday) == "Thursday at 7:30 PM"
    assert schedule.spoken_when(thursday, "es", prompts, monday) == "el jueves a las 7:30 de la tarde"
    assert schedule.spoken_when(monday.replace(hour=13), "es", prompts, monday) == "hoy a la 1 de la tarde"
    assert schedule.spoken_when(monday.replace(hour=21), "en", prompts, monday) == "today at 9 PM"
    next_monday = monday + timedelta(days=7)
    assert schedule.spoken_when(next_monday, "en", prompts, monday) == "next Monday at 9 AM"
    assert schedule.spoken_when(next_monday, "es", prompts, monday) == "el próximo lunes a las 9 de la mañana"


def test_noon_midnight_and_the_small_hours_are_said_as_people_say_them(app):
    prompts = app.extensions["peerline.flows"].prompts
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    said = {(h, m, lang): schedule.spoken_when(monday.replace(hour=h, minute=m), lang, prompts, monday)
            for h, m in ((12, 0), (12, 30), (0, 0), (0, 30), (2, 0), (1, 15), (23, 2)) for lang in ("en", "es")}
    assert said[12, 0, "en"] == "today at noon" and said[12, 0, "es"] == "hoy a las 12 del mediodía"
    assert said[12, 30, "en"] == "today at 12:30 PM" and said[12, 30, "es"] == "hoy a las 12:30 de la tarde"
    assert said[0, 0, "en"] == "today at midnight" and said[0, 0, "es"] == "hoy a las 12 de la noche"
    assert said[0, 30, "en"] == "today at 12:30 AM" and said[0, 30, "es"] == "hoy a las 12:30 de la noche"
    assert said[2, 0, "en"] == "today at 2 AM" and said[2, 0, "es"] == "hoy a las 2 de la madrugada"
    assert said[1, 15, "es"] == "hoy a la 1:15 de la madrugada"
    assert said[23, 2, "en"] == "today at 11:02 PM" and said[23, 2, "es"] == "hoy a las 11:02 de la noche"


def test_parse_days_and_times():
    assert schedule.parse_days("Tuesday, thu") == "1,3"
    assert schedule.parse_days("6 0") == "0,6"
    assert schedule.parse_time("7:30pm") == schedule.parse_time("19:30")
    with pytest.raises(schedule.ScheduleError):
        schedule.parse_days("someday")
    with pytest.raises(schedule.ScheduleError):
        schedule.parse_time("25:00")


def test_circle_settings_are_validated(app):
    with app.app_context():
        with pytest.raises(circles.CircleError):
            make_circle(cap=251)  # Twilio's hard limit is 250
        with pytest.raises(circles.CircleError):
            make_circle(timezone_name="Mars/Olympus")
        circle = make_circle(cap=250)
        assert circle.participant_muted_default is True and circle.cap == 250
        with pytest.raises(circles.CircleError):
            circles.add_facilitator(circle, "Sam", "12")


# ---- facilitators ---------------------------------------------------------------------------

def test_pin_is_hashed_and_verified_per_circle(app):
    with app.app_context():
        circle = make_circle()
        other = make_circle(number=4, name="Anxiety")
        sam = circles.add_facilitator(circle, "Sam", "432109")
        circles.add_facilitator(other, "Lee", "999999")
        db.session.commit()
        stored = db.session.execute(select(CircleFacilitator).filter_by(id=sam.id)).scalar_one()
        assert "432109" not in stored.pin_hash and stored.pin_hash.startswith("$argon2")
        assert circles.verify_facilitator(circle, "432109").id == sam.id
        assert circles.verify_facilitator(circle, "999999") is None  # another circle's PIN
        assert circles.verify_facilitator(circle, "000000") is None
        sam.active = False
        assert circles.verify_facilitator(circle, "432109") is None


# ---- admission ------------------------------------------------------------------------------

def test_cap_counts_places_and_facilitators_always_get_in(app):
    with app.app_context():
        circle = make_circle(cap=2)
        session = circles.open_session(circle)
        assert session.conference_name.startswith("pl-") and "Grief" not in session.conference_name
        a = circle_roster.admit(session, "CA-a")
        b = circle_roster.admit(session, "CA-b")
        assert a.participant and b.participant and a.participant.muted  # listen first
        assert circle_roster.admit(session, "CA-c").refused == "full"
        assert circle_roster.admit(session, "CA-a").participant.id == a.participant.id  # rejoining is not new
        fac = circle_roster.admit(session, "CA-f", role="facilitator")
        assert fac.participant.role == "facilitator" and not fac.participant.muted
        circle_roster.leave(b.participant)
        assert circle_roster.admit(session, "CA-c").participant is not None


def test_admitted_but_never_joined_frees_the_place_later(app):
    with app.app_context():
        circle = make_circle(cap=2)
        session = circles.open_session(circle)
        circle_roster.admit(session, "CA-a")
        circle_roster.admit(session, "CA-b")
        later = datetime.now(timezone.utc) + circles.JOIN_GRACE + timedelta(seconds=1)
        assert circle_roster.places_taken(session, later) == 0
        assert circle_roster.admit(session, "CA-c", now=later).participant is not None


def test_locks_refuse_new_participants_but_not_facilitators(app):
    with app.app_context():
        circle = make_circle()
        session = circles.open_session(circle)
        circles.set_session_lock(session, True)
        assert circle_roster.admit(session, "CA-a").refused == "locked"
        assert circle_roster.admit(session, "CA-f", role="facilitator").participant is not None
        circles.set_session_lock(session, False)
        circles.set_circle_lock(circle, True)
        assert circle_roster.admit(session, "CA-a").refused == "locked"


def test_removed_caller_cannot_come_back(app):
    with app.app_context():
        session = circles.open_session(make_circle())
        p = circle_roster.admit(session, "CA-a").participant
        circle_roster.record_removed(p)
        assert circle_roster.admit(session, "CA-a").refused == "locked"


# ---- the roster from callbacks ----------------------------------------------------------------

def event(session, name, seq, call_sid=None, **extra):
    """A conference status callback form as Twilio sends it."""
    form = {"FriendlyName": session.conference_name, "ConferenceSid": "CF" + "a" * 32,
            "StatusCallbackEvent": name, "SequenceNumber": str(seq)}
    if call_sid:
        form.update({"CallSid": call_sid, "Muted": "true" if name == "participant-mute" else "false",
                     "Hold": "false"})
    form.update(extra)
    return form


def test_callbacks_build_the_roster(app):
    with app.app_context():
        session = circles.open_session(make_circle())
        circle_roster.admit(session, "CA-f", role="facilitator")
        circle_roster.admit(session, "CA-a")
        circle_roster.apply_conference_event(event(session, "participant-join", 1, "CA-a", Muted="true"))
        circle_roster.apply_conference_event(event(session, "participant-join", 2, "CA-f"))
        out = circle_roster.apply_conference_event(event(session, "conference-start", 3))
        assert out.announce_rules and session.status == "live" and session.conference_sid == "CF" + "a" * 32
        circle_roster.apply_conference_event(event(session, "participant-unmute", 4, "CA-a", Muted="false"))
        circle_roster.apply_conference_event(event(session, "participant-speech-start", 5, "CA-a"))
        a = circle_roster.participant_for_call(session, "CA-a")
        assert (a.connected, a.muted, a.speaking) == (True, False, True)
        assert session.last_speaker_id == a.id
        assert [p.call_sid for p in circle_roster.present(session)] == ["CA-f", "CA-a"]
        circle_roster.apply_conference_event(event(session, "conference-end", 9))
        assert session.status == "ended" and not circle_roster.present(session)
        assert all(p.left_at is not None for p in circle_roster.roster(session))


def test_repeated_and_out_of_order_callbacks_leave_the_roster_right(app):
    with app.app_context():
        session = circles.open_session(make_circle())
        circle_roster.admit(session, "CA-a")
        circle_roster.admit(session, "CA-b")
        events = [
            event(session, "participant-join", 1, "CA-a", Muted="true"),
            event(session, "participant-join", 2, "CA-b", Muted="true"),
            event(session, "participant-unmute", 3, "CA-a"),
            event(session, "participant-mute", 4, "CA-a"),  # carries Muted=true
            event(session, "participant-leave", 5, "CA-b"),
        ]
        # Newest first, each twice.
        for form in reversed(events + events):
            circle_roster.apply_conference_event(form)
        a = circle_roster.participant_for_call(session, "CA-a")
        b = circle_roster.participant_for_call(session, "CA-b")
        assert (a.connected, a.muted, a.last_sequence) == (True, True, 4)
        assert (b.connected, b.left_at is not None) == (False, True)
        # A late duplicate of b's join cannot bring them back.
        circle_roster.apply_conference_event(events[1])
        assert not b.connected
        assert circle_roster.places_taken(session) == 1


def test_star_menu_keeps_the_place_whatever_order_the_webhooks_come(app):
    with app.app_context():
        session = circles.open_session(make_circle(cap=2))
        p = circle_roster.admit(session, "CA-a").participant
        circle_roster.apply_conference_event(event(session, "participant-join", 1, "CA-a"))
        # The leave callback can come before the Dial action (star menu) or after it.
        circle_roster.apply_conference_event(event(session, "participant-leave", 2, "CA-a"))
        circle_roster.step_out(p)
        assert p.left_at is None and not p.connected and circle_roster.places_taken(session) == 1
        circle_roster.admit(session, "CA-a")
        circle_roster.apply_conference_event(event(session, "participant-join", 3, "CA-a"))
        circle_roster.step_out(p)
        circle_roster.apply_conference_event(event(session, "participant-leave", 4, "CA-a"))
        assert p.left_at is None and circle_roster.places_taken(session) == 1


def test_hand_queue_is_first_raised_first(app):
    with app.app_context():
        session = circles.open_session(make_circle())
        rows = [circle_roster.admit(session, sid).participant for sid in ("CA-a", "CA-b", "CA-c")]
        for n, sid in enumerate(("CA-a", "CA-b", "CA-c"), start=1):
            circle_roster.apply_conference_event(event(session, "participant-join", n, sid))
        assert circle_roster.toggle_hand(rows[2]) is True
        assert circle_roster.toggle_hand(rows[0]) is True
        assert [p.call_sid for p in circle_roster.hand_queue(session)] == ["CA-c", "CA-a"]
        assert circle_roster.toggle_hand(rows[2]) is False
        assert [p.call_sid for p in circle_roster.hand_queue(session)] == ["CA-a"]


def test_unknown_conference_is_ignored(app):
    with app.app_context():
        out = circle_roster.apply_conference_event({"FriendlyName": "nope", "StatusCallbackEvent": "participant-join",
                                              "CallSid": "CA1", "SequenceNumber": "1"})
        assert out.session_id is None and not out.applied
        assert db.session.execute(select(CircleParticipant)).first() is None


@pytest.mark.postgres_only
def test_two_callers_racing_for_the_last_place_get_one_place(app):
    import threading
    import time
    from ivr.circles.models import CircleSession
    with app.app_context():
        circle = make_circle(cap=2)
        session = circles.open_session(circle)
        circle_roster.admit(session, "CA-first")
        db.session.commit()
        session_id = session.id
    barrier = threading.Barrier(2)
    outcomes = {}

    def caller(call_sid):
        with app.app_context():
            row = db.session.get(CircleSession, session_id)
            barrier.wait()
            admission = circle_roster.admit(row, call_sid)
            time.sleep(0.3)  # hold the transaction open: the other caller must wait, not count early
            db.session.commit()
            outcomes[call_sid] = admission.refused or "admitted"
            db.session.remove()

    threads = [threading.Thread(target=caller, args=(sid,)) for sid in ("CA-x", "CA-y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(outcomes.values()) == ["admitted", "full"]
    with app.app_context():
        assert circle_roster.places_taken(db.session.get(CircleSession, session_id)) == 2


def test_update_circle_validates_everything_or_changes_nothing(app):
    with app.app_context():
        circle = make_circle()
        circles.update_circle(circle, name="Grief", days="mon", start_time="18:30", cap=8,
                              timezone_name="Europe/Madrid", duration_min=90)
        assert (circle.name, circle.days, circle.start_time.hour, circle.start_time.minute) == ("Grief", "0", 18, 30)
        assert (circle.cap, circle.timezone, circle.duration_min) == (8, "Europe/Madrid", 90)
        for bad in ({"cap": 251}, {"timezone_name": "Nowhere/Land"}, {"days": "funday"}, {"start_time": "30:00"},
                    {"duration_min": 1}, {"colour": "blue"}):
            with pytest.raises(circles.CircleError):
                circles.update_circle(circle, name="Changed", **bad)
            assert circle.name == "Grief" and circle.cap == 8
