"""A circle meeting now, a simulated Twilio placing real calls into the app, and people joining it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ivr.circles import domain as circles
from ivr.extensions import db
from ivr.circles.models import CircleParticipant, CircleSession
from ivr.simulator import Simulator

PIN = "246813"


def open_circle(app, facilitator_staff_id: int | None = None, number: int = 3, name: str = "Grief and loss") -> int:
    """A circle meeting right now (every day, started five minutes ago), facilitated by a staff member."""
    with app.app_context():
        start = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%H:%M")
        circle = circles.create_circle(number=number, name=name, days="0,1,2,3,4,5,6", start_time=start,
                                       timezone_name="UTC", duration_min=120, cap=12)
        circles.add_facilitator(circle, "Sam", PIN, staff_user_id=facilitator_staff_id)
        db.session.commit()
        return circle.id


def simulator(app) -> Simulator:
    """Twilio's stand-in, calling the app in-process; the app's telephony adapter reaches its REST API."""
    base = app.config["PUBLIC_BASE_URL"]
    sim = Simulator.in_process(app, base_url=base)
    sim.add_number(app.config["TWILIO_NUMBER"], base + "/voice/incoming", status_callback=base + "/voice/status")
    return sim


def facilitator_joins(sim, number: str = "+15550107777", circle_number: int = 3):
    """A facilitator calls, signs in with the PIN and starts the circle."""
    return sim.call(number, script=["1", "5", "2", "8", f"{circle_number}#", PIN + "#"])


def participant_joins(sim, number: str):
    """A caller joins the open circle, skipping the first name (they start muted)."""
    return sim.call(number, script=["1", "5", "2", "1", "2"])


def roster(app) -> list[CircleParticipant]:
    """Everyone on the meeting's roster, in joining order."""
    with app.app_context():
        rows = list(db.session.execute(db.select(CircleParticipant).order_by(CircleParticipant.id)).scalars())
        db.session.expunge_all()
        return rows


def conference_name(app) -> str:
    """The opaque conference name of the (only) meeting."""
    with app.app_context():
        return db.session.execute(db.select(CircleSession.conference_name)).scalar_one()


def twilio_muted(sim, app, call_sid: str) -> bool:
    """Whether the simulated Twilio conference has this call muted."""
    room = sim.rooms.named(conference_name(app))
    assert call_sid in room.participants, f"{call_sid} is not in the conference"
    return room.participants[call_sid].muted
