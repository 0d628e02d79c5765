"""Circles for staff: admins create and assign; facilitators see only their own circles and run
the live console, whose controls reach the (simulated) Twilio conference through ivr.telephony."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from ivr.extensions import db
from ivr.simulator import Input
from ivr.circles.models import Circle, CircleFacilitator
from ivr.staff.models import AuditEntry
from tests.circles.factories import (conference_name, facilitator_joins, open_circle, participant_joins, roster, simulator, twilio_muted)

CALLER = "+15550101111"


@pytest.fixture
def sim(app):
    """The simulated Twilio for this test's app."""
    simulated = simulator(app)
    yield simulated
    simulated.close()


def _audit(app, action):
    with app.app_context():
        return db.session.execute(select(AuditEntry).filter_by(action=action)).scalars().all()


def test_admin_creates_a_circle_with_schedule_and_cap(app, staff):
    admin = staff("admin")
    response = admin.post("/staff/circles/", {"number": "7", "name": "Evening circle", "topic": "loss",
                                              "language": "en", "days": ["1", "3"], "start_time": "19:30",
                                              "timezone": "Europe/London", "duration_min": "90", "cap": "10"})
    assert response.status_code == 302
    with app.app_context():
        circle = db.session.execute(select(Circle)).scalar_one()
        assert (circle.number, circle.days, circle.start_time.strftime("%H:%M"), circle.cap, circle.timezone) == \
            (7, "1,3", "19:30", 10, "Europe/London")
    assert "Evening circle" in admin.get("/staff/circles/").get_data(as_text=True)
    assert _audit(app, "circle.create")


def test_bad_cap_or_schedule_is_refused(app, staff):
    admin = staff("admin")
    bad = {"number": "7", "name": "X", "days": ["1"], "start_time": "19:00", "cap": "400"}
    assert admin.post("/staff/circles/", bad).status_code == 422
    assert admin.post("/staff/circles/", {**bad, "cap": "10", "days": []}).status_code == 422
    with app.app_context():
        assert db.session.execute(select(Circle)).first() is None


def test_admin_assigns_a_facilitator_who_then_sees_only_their_circle(app, staff):
    admin, mine, other = staff("admin"), staff("facilitator"), staff("facilitator", "other@peerline.test")
    circle_id = open_circle(app)  # facilitated by nobody on staff yet
    second = open_circle(app, number=4, name="Another")
    response = admin.post(f"/staff/circles/{circle_id}/facilitators", {"staff_id": mine.id, "pin": "135724"})
    assert response.status_code == 302
    with app.app_context():
        assigned = db.session.execute(select(CircleFacilitator).filter_by(staff_user_id=mine.id)).scalar_one()
        assert assigned.circle_id == circle_id and assigned.pin_hash.startswith("$argon2")
    listing = mine.get("/staff/circles/").get_data(as_text=True)
    assert "Grief and loss" in listing and "Another" not in listing
    assert mine.get(f"/staff/circles/{circle_id}/console").status_code == 200
    for path in (f"/staff/circles/{second}", f"/staff/circles/{second}/console", f"/staff/circles/{second}/roster"):
        assert mine.get(path).status_code == 404
        assert other.get(path.replace(str(second), str(circle_id))).status_code == 404
    assert mine.post(f"/staff/circles/{second}/console/end").status_code == 404
    assert "Nobody" not in other.get("/staff/circles/").get_data(as_text=True)
    assert "not facilitating any circle" in other.get("/staff/circles/").get_data(as_text=True)
    # A short PIN is refused.
    assert admin.post(f"/staff/circles/{second}/facilitators", {"staff_id": other.id, "pin": "12"}).status_code == 422


def test_moderators_have_no_circle_pages(app, staff):
    circle_id = open_circle(app)
    mod = staff("moderator")
    assert mod.get("/staff/circles/").status_code == 403
    assert mod.get(f"/staff/circles/{circle_id}/console").status_code == 403


def test_roster_is_live_with_opaque_labels_and_no_numbers(app, staff, sim):
    fac = staff("facilitator")
    circle_id = open_circle(app, fac.id)
    empty = json.loads(fac.get(f"/staff/circles/{circle_id}/roster").data)
    assert empty["session"] is None and empty["participants"] == []
    facilitator_joins(sim)
    caller = participant_joins(sim, CALLER)
    state = fac.get(f"/staff/circles/{circle_id}/roster").get_json()
    assert state["session"]["status"] == "live" and state["present"] == 2
    people = state["participants"]
    assert [p["role"] for p in people] == ["facilitator", "participant"]
    assert people[1]["muted"] is True and people[1]["label"].startswith("p-")
    text = json.dumps(state)
    assert "5550101111" not in text and caller.sid not in text


def test_console_mutes_and_unmutes_a_participant_through_telephony(app, staff, sim):
    fac = staff("facilitator")
    circle_id = open_circle(app, fac.id)
    facilitator_joins(sim)
    caller = participant_joins(sim, CALLER)
    assert twilio_muted(sim, app, caller.sid) is True
    participant = roster(app)[1]
    response = fac.post(f"/staff/circles/{circle_id}/participants/{participant.id}/unmute",
                        headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert twilio_muted(sim, app, caller.sid) is False
    assert roster(app)[1].muted is False
    fac.post(f"/staff/circles/{circle_id}/participants/{participant.id}/mute")
    assert twilio_muted(sim, app, caller.sid) is True
    assert roster(app)[1].muted is True
    entries = _audit(app, "console.unmute") + _audit(app, "console.mute")
    assert [e.detail for e in entries] == [f"participant={participant.id}"] * 2


def test_hand_queue_unmute_next_lock_remove_and_end(app, staff, sim):
    fac = staff("facilitator")
    circle_id = open_circle(app, fac.id)
    facilitator_joins(sim)
    first = participant_joins(sim, CALLER)
    second = participant_joins(sim, "+15550102222")
    # The second caller raises a hand from the star menu.
    sim.feed(second, Input("digits", "*"))
    sim.feed(second, Input("digits", "1"))
    state = fac.get(f"/staff/circles/{circle_id}/roster").get_json()
    raised = [p for p in state["participants"] if p["hand"]]
    assert len(raised) == 1
    page = fac.get(f"/staff/circles/{circle_id}/console").get_data(as_text=True)
    assert "hand #1" in page
    fac.post(f"/staff/circles/{circle_id}/console/unmute_next")
    assert twilio_muted(sim, app, second.sid) is False and twilio_muted(sim, app, first.sid) is True
    fac.post(f"/staff/circles/{circle_id}/console/lock")
    assert fac.get(f"/staff/circles/{circle_id}/roster").get_json()["locked"] is True
    late = participant_joins(sim, "+15550103333")
    assert late.sid not in sim.rooms.named(conference_name(app)).participants
    target = roster(app)[1]
    fac.post(f"/staff/circles/{circle_id}/participants/{target.id}/remove")
    assert first.sid not in sim.rooms.named(conference_name(app)).participants
    fac.post(f"/staff/circles/{circle_id}/console/end")
    assert fac.get(f"/staff/circles/{circle_id}/roster").get_json()["session"] is None
    actions = [e.action for e in _audit(app, "console.unmute_next") + _audit(app, "console.lock")
               + _audit(app, "console.remove") + _audit(app, "console.end")]
    assert actions == ["console.unmute_next", "console.lock", "console.remove", "console.end"]


def test_console_controls_need_a_csrf_token(app, staff, sim):
    fac = staff("facilitator")
    circle_id = open_circle(app, fac.id)
    facilitator_joins(sim)
    caller = participant_joins(sim, CALLER)
    participant = roster(app)[1]
    response = fac.client.post(f"/staff/circles/{circle_id}/participants/{participant.id}/unmute")
    assert response.status_code == 400
    assert twilio_muted(sim, app, caller.sid) is True


def _headline(page: str) -> str:
    """The console's status line (the element the live poll rewrites)."""
    match = re.search(r'<p id="meeting">([^<]*)</p>', page)
    assert match, page
    return match.group(1)


def test_console_before_anyone_joins_says_open_now_like_the_phone_and_the_cli(app, staff, runner, twilio):
    fac = staff("facilitator")
    circle_id = open_circle(app, fac.id)
    page = fac.get(f"/staff/circles/{circle_id}/console").get_data(as_text=True)
    headline = _headline(page)
    assert headline.startswith("Open now until ") and "Not meeting now" not in page
    listed = runner.invoke(args=["circles", "list"]).output
    assert headline.rstrip(".") in listed  # the same words, from the same function
    polled = fac.get(f"/staff/circles/{circle_id}/roster").get_json()
    assert polled["session"] is None and polled["headline"] == headline
    from tests.calls.test_voice_incoming import _returning_caller, call, press
    from tests.twiml import spoken
    _returning_caller(twilio, app)
    call(twilio)
    assert "Circle 3, Grief and loss, is open now." in spoken(press(twilio, "main_menu", "2"))
    response = fac.post(f"/staff/circles/{circle_id}/console/mute_all")
    assert response.status_code == 302  # nothing to mute yet: no meeting has started


def test_console_and_list_say_when_a_closed_circle_meets_next(app, staff):
    admin = staff("admin")
    with app.app_context():
        from ivr.circles import domain as circles
        circle = circles.create_circle(number=8, name="Mornings", days="mon", start_time="07:00",
                                       timezone_name="Europe/Madrid")
        db.session.commit()
        circle_id = circle.id
    headline = _headline(admin.get(f"/staff/circles/{circle_id}/console").get_data(as_text=True))
    assert headline.startswith("Next meeting Mon ") and headline.endswith(" 07:00 Europe/Madrid.") \
        or headline.startswith("Open now until Mon ")
    assert headline in admin.get("/staff/circles/").get_data(as_text=True)


def test_admin_edits_schedule_and_cap(app, staff):
    admin = staff("admin")
    circle_id = open_circle(app)
    page = admin.get(f"/staff/circles/{circle_id}").get_data(as_text=True)
    assert 'name="cap"' in page and "not available yet" not in page
    response = admin.post(f"/staff/circles/{circle_id}", {"name": "Grief and loss", "days": ["0", "4"],
                                                          "start_time": "18:15", "timezone": "America/New_York",
                                                          "duration_min": "75", "cap": "8"})
    assert response.status_code == 302
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        assert (circle.days, circle.start_time.strftime("%H:%M"), circle.timezone, circle.duration_min, circle.cap) == \
            ("0,4", "18:15", "America/New_York", 75, 8)
    assert admin.post(f"/staff/circles/{circle_id}", {"name": "G", "days": ["0"], "start_time": "18:15",
                                                      "cap": "1"}).status_code == 422
    with app.app_context():
        assert db.session.get(Circle, circle_id).cap == 8
    assert [e.detail for e in _audit(app, "circle.update")] == ["cap=8"]
    fac = staff("facilitator")
    assert fac.post(f"/staff/circles/{circle_id}", {"cap": "20"}).status_code == 403


def test_first_name_recording_plays_in_the_console_for_the_facilitator_only(app, staff, sim, tmp_path):
    from tests.shares.factories import speech_wav
    fac = staff("facilitator")
    circle_id = open_circle(app, fac.id)
    name = tmp_path / "name.wav"
    name.write_bytes(speech_wav("Robin"))
    facilitator_joins(sim)
    caller = sim.call(CALLER, script=["1", "5", "2", "1", "1", f"rec {name}"])
    participant = roster(app)[1]
    assert participant.name_recording_sid, [e.line() for e in caller.transcript]
    page = fac.get(f"/staff/circles/{circle_id}/console").get_data(as_text=True)
    url = f"/staff/circles/{circle_id}/participants/{participant.id}/name"
    assert f'src="{url}"' in page
    audio = fac.get(url)
    assert audio.status_code == 200 and audio.data[:4] == b"RIFF"
    assert audio.data == sim.recordings.by_sid[participant.name_recording_sid].wav
    assert staff("moderator").get(url).status_code == 403
    assert staff("facilitator", "other@peerline.test").get(url).status_code == 404
    # Nobody else's first name: a participant who skipped has no recording to fetch.
    skipped = participant_joins(sim, "+15550102222")
    assert skipped.status != "completed"
    other = roster(app)[2]
    assert fac.get(f"/staff/circles/{circle_id}/participants/{other.id}/name").status_code == 404


def test_staff_start_the_circle_from_the_console_without_a_phone_pin(app, staff, sim):
    """Issue 13: strangers guessing PINs cannot keep a circle from meeting; staff can start it."""
    fac = staff("facilitator")
    circle_id = open_circle(app, fac.id)
    assert "Start the circle" in fac.get(f"/staff/circles/{circle_id}/console").get_data(as_text=True)
    assert fac.post(f"/staff/circles/{circle_id}/console/start").status_code == 302
    participant_joins(sim, CALLER)  # no facilitator on the phone: callers entering start it
    participant_joins(sim, "+15550102222")  # (Twilio starts a conference at its second participant)
    state = fac.get(f"/staff/circles/{circle_id}/roster").get_json()
    assert state["session"]["status"] == "live" and state["present"] == 2
    assert _audit(app, "circle.start")
