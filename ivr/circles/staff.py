"""Circles for staff: admins create circles and assign facilitators; facilitators run their own
circles from a live console (roster, hands, mute, unmute, remove, lock, end) via ivr.circle_control.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user

from ivr import database
from ivr.circles import control as circle_control
from ivr.circles import status as circle_status
from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.staff import accounts, audit
from ivr.staff.guard import allow, passive
from ivr import telephony

if TYPE_CHECKING:  # for annotations only: rows come from ivr.circles
    from ivr.circles.models import Circle, CircleParticipant

bp = Blueprint("circles", __name__, url_prefix="/circles")
RUNNERS = ("admin", "facilitator")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _facilitated_by() -> int | None:
    """Whose assignments limit what this person sees: none for an admin, their own for a facilitator."""
    return None if current_user.role == "admin" else current_user.id


def _circle(circle_id: int) -> Circle:
    """The circle, if this person may see it; facilitators get 404 for circles not theirs."""
    return circles.get_circle(circle_id, facilitated_by=_facilitated_by())


@bp.get("/")
@allow(*RUNNERS)
def index():
    """Admins: every circle. Facilitators: only their own."""
    rows = circles.all_circles(facilitated_by=_facilitated_by())
    return render_template("staff/circles.html", circles=rows, weekdays=WEEKDAYS,
                           sessions={c.id: circles.current_session(c) for c in rows},
                           status_lines={c.id: circle_status.staff_text(c) for c in rows})


@bp.post("/")
@allow("admin")
def create():
    """Create a circle with its weekly schedule and cap."""
    form = request.form
    try:
        circle = circles.create_circle(
            number=_int(form.get("number"), 0), name=(form.get("name") or "").strip()[:80],
            topic=(form.get("topic") or "").strip()[:200], language=form.get("language") or "en",
            days=",".join(form.getlist("days")) or (form.get("days_text") or ""),
            start_time=form.get("start_time") or "", timezone_name=form.get("timezone") or "UTC",
            duration_min=_int(form.get("duration_min"), 60), cap=_int(form.get("cap"), 12))
        if not circle.name:
            raise circles.CircleError("a circle needs a name")
    except circles.CircleError as exc:
        database.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".index")), 422
    except Exception as exc:  # e.g. a duplicate keypad number
        database.rollback()
        flash(f"Could not create the circle ({exc.__class__.__name__}); is the number taken?", "error")
        return redirect(url_for(".index")), 422
    audit.record("circle.create", "circle", circle.id, detail=f"cap={circle.cap}")
    database.commit()
    flash("Circle created.")
    return redirect(url_for(".detail", circle_id=circle.id))


@bp.get("/<int:circle_id>")
@allow(*RUNNERS)
def detail(circle_id: int):
    """A circle's schedule, cap and facilitators (admins can change them)."""
    circle = _circle(circle_id)
    assigned = circles.active_facilitators(circle)
    return render_template("staff/circle.html", circle=circle, assigned=assigned, weekdays=WEEKDAYS,
                           candidates=accounts.facilitators() if current_user.role == "admin" else [],
                           session=circles.current_session(circle))


@bp.post("/<int:circle_id>")
@allow("admin")
def update(circle_id: int):
    """Change a circle's schedule and cap (through ivr.circles.update_circle)."""
    circle = _circle(circle_id)
    form = request.form
    changes = {"name": (form.get("name") or circle.name).strip()[:80], "topic": (form.get("topic") or "").strip()[:200],
               "days": ",".join(form.getlist("days")) or circle.days, "start_time": form.get("start_time") or "",
               "timezone_name": form.get("timezone") or circle.timezone,
               "duration_min": _int(form.get("duration_min"), circle.duration_min),
               "cap": _int(form.get("cap"), circle.cap)}
    try:
        circles.update_circle(circle, **changes)
    except circles.CircleError as exc:
        database.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".detail", circle_id=circle.id)), 422
    audit.record("circle.update", "circle", circle.id, detail=f"cap={changes['cap']}")
    database.commit()
    flash("Circle saved.")
    return redirect(url_for(".detail", circle_id=circle.id))


@bp.post("/<int:circle_id>/facilitators")
@allow("admin")
def assign(circle_id: int):
    """Assign a staff member to facilitate this circle, with the keypad PIN they join with."""
    circle = _circle(circle_id)
    user = accounts.find(_int(request.form.get("staff_id"), 0))
    if user is None or not user.active or user.role not in ("facilitator", "admin"):
        flash("Choose an active facilitator.", "error")
        return redirect(url_for(".detail", circle_id=circle.id)), 422
    if user.id in {f.staff_user_id for f in circle.facilitators if f.active}:
        flash("Already assigned.", "error")
        return redirect(url_for(".detail", circle_id=circle.id)), 409
    try:
        facilitator = circles.add_facilitator(circle, user.name[:80], request.form.get("pin") or "", staff_user_id=user.id)
    except circles.CircleError as exc:
        database.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".detail", circle_id=circle.id)), 422
    audit.record("circle.assign", "circle", circle.id, detail=f"staff={user.id} facilitator={facilitator.id}")
    database.commit()
    flash(f"{user.name} now facilitates this circle.")
    return redirect(url_for(".detail", circle_id=circle.id))


@bp.post("/<int:circle_id>/lock")
@allow("admin")
def circle_lock(circle_id: int):
    """An admin's lock on every meeting of the circle (or its release)."""
    circle = _circle(circle_id)
    locked = request.form.get("locked") == "1"
    circles.set_circle_lock(circle, locked)
    audit.record("circle.lock" if locked else "circle.unlock", "circle", circle.id)
    database.commit()
    flash("Circle locked." if locked else "Circle unlocked.")
    return redirect(url_for(".detail", circle_id=circle.id))


# ---- the live console ----------------------------------------------------------------------

@bp.get("/<int:circle_id>/console")
@allow(*RUNNERS)
def console(circle_id: int):
    """The live console; the roster refreshes itself by short polling of `roster`."""
    circle = _circle(circle_id)
    session = circles.current_session(circle)
    return render_template("staff/console.html", circle=circle, session=session, state=_state(circle, session))


@bp.get("/<int:circle_id>/roster")
@allow(*RUNNERS)
@passive
def roster(circle_id: int):
    """The roster, hands and meeting state as JSON, for the console's polling."""
    circle = _circle(circle_id)
    return jsonify(_state(circle, circles.current_session(circle)))


def _state(circle: Circle, session) -> dict:
    # The schedule line comes from the same function the phone and the CLI use.
    schedule_line = circle_status.staff_text(circle)
    if session is None:
        return {"session": None, "participants": [], "hands": [], "locked": bool(circle.locked),
                "headline": _headline(schedule_line, None, 0, bool(circle.locked))}
    hands = [p.id for p in circle_roster.hand_queue(session)]
    people = []
    for n, p in enumerate(circle_roster.roster(session), start=1):
        if p.left_at is not None and not p.connected and not p.removed:
            state = "left"
        elif p.removed:
            state = "removed"
        elif p.connected:
            state = "on the call"
        elif p.in_menu_since is not None:
            state = "in the star menu"
        else:
            state = "joining"
        people.append({
            "id": p.id, "label": p.label, "number": n, "role": p.role, "state": state, "connected": bool(p.connected),
            "muted": bool(p.muted), "speaking": bool(p.speaking), "removed": bool(p.removed),
            "hand": (hands.index(p.id) + 1) if p.id in hands else None, "has_name": bool(p.name_recording_sid),
            "name_url": url_for(".name_recording", circle_id=circle.id, participant_id=p.id) if p.name_recording_sid else None,
            "actions": {op: url_for(".participant_action", circle_id=circle.id, participant_id=p.id, op=op)
                        for op in ("mute", "unmute", "remove")},
        })
    present = sum(1 for p in people if p["connected"])
    locked = bool(circle.locked or session.locked)
    return {"session": {"id": session.id, "status": session.status, "locked": bool(session.locked),
                        "staff_started": bool(session.staff_started)},
            "participants": people, "hands": hands, "locked": locked, "present": present,
            "headline": _headline(schedule_line, session.status, present, locked)}


def _headline(schedule_line: str, session_status: str | None, present: int, locked: bool) -> str:
    """One line for the console: the meeting's state (if one is running) and the schedule."""
    parts = [f"Meeting {session_status} · {present} on the call"] if session_status else []
    parts.append(schedule_line)
    if locked:
        parts.append("locked")
    return " · ".join(parts) + "."


@bp.get("/<int:circle_id>/participants/<int:participant_id>/name")
@allow(*RUNNERS)
def name_recording(circle_id: int, participant_id: int):
    """A participant's recorded first name (never stored by us; fetched through the telephony adapter)."""
    circle = _circle(circle_id)
    participant = circle_roster.get_participant(participant_id, circle=circle)
    if not participant.name_recording_sid:
        abort(404)
    try:
        data = telephony.fetch_recording(participant.name_recording_sid)
    except telephony.TelephonyError:
        abort(404)
    return send_file(io.BytesIO(data), mimetype="audio/wav", max_age=0, download_name=f"name-{participant.id}.wav")


def _control(circle: Circle, op: str, result, participant: CircleParticipant | None = None):
    """Audit, commit and answer a console action (JSON for the console's script, else a redirect)."""
    detail = f"participant={participant.id}" if participant is not None else None
    if result.note:
        detail = ((detail + " ") if detail else "") + f"note={result.note}"
    if result.failed:
        detail = ((detail + " ") if detail else "") + f"failed={len(result.failed)}"
    audit.record(f"console.{op}", "circle", circle.id, detail=detail)
    database.commit()
    message = _message(op, result)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=result.ok and not result.note, message=message,
                       state=_state(circle, circles.current_session(circle))), (200 if result.ok else 502)
    flash(message, "error" if (result.failed or result.note) else "message")
    return redirect(url_for(".console", circle_id=circle.id))


def _message(op: str, result) -> str:
    if result.failed:
        return f"Could not {op.replace('_', ' ')} for {len(result.failed)} participant(s); try again."
    notes = {"no_conference": "The circle has not started yet.", "no_hands": "No hands are raised.",
             "no_speaker": "Nobody has spoken yet."}
    if result.note:
        return notes.get(result.note, result.note)
    return {"mute": "Muted.", "unmute": "Unmuted.", "remove": "Removed from the circle.", "lock": "Circle locked.",
            "unlock": "Circle unlocked.", "end": "The circle has ended.", "mute_all": "Everyone is muted.",
            "unmute_next": "The next raised hand has the floor."}.get(op, "Done.")


def _session_or_409(circle: Circle):
    session = circles.current_session(circle)
    if session is None:
        if request.accept_mimetypes.best == "application/json":
            abort(409)
        flash("The circle is not meeting now.", "error")
        return None
    return session


@bp.post("/<int:circle_id>/participants/<int:participant_id>/<any(mute, unmute, remove):op>")
@allow(*RUNNERS)
def participant_action(circle_id: int, participant_id: int, op: str):
    """Mute, unmute or remove one participant."""
    circle = _circle(circle_id)
    participant = circle_roster.get_participant(participant_id, circle=circle)
    action = {"mute": circle_control.mute, "unmute": circle_control.unmute, "remove": circle_control.remove}[op]
    return _control(circle, op, action(participant), participant)


@bp.post("/<int:circle_id>/console/start")
@allow(*RUNNERS)
def console_start(circle_id: int):
    """Start the meeting from the console (the facilitator's phone PIN is not needed)."""
    circle = _circle(circle_id)
    session = circles.start_from_console(circle)
    audit.record("circle.start", "circle", circle.id, detail=f"session={session.id}")
    database.commit()
    flash("The circle is open: the first caller to join starts it.")
    return redirect(url_for(".console", circle_id=circle.id))


@bp.post("/<int:circle_id>/console/<any(mute_all, unmute_next, lock, unlock, end):op>")
@allow(*RUNNERS)
def session_action(circle_id: int, op: str):
    """Whole-meeting controls: mute all, unmute next hand, lock, unlock, end."""
    circle = _circle(circle_id)
    session = _session_or_409(circle)
    if session is None:
        return redirect(url_for(".console", circle_id=circle.id))
    if op == "mute_all":
        result = circle_control.mute_all(session)
    elif op == "unmute_next":
        result = circle_control.unmute_next(session)
    elif op in ("lock", "unlock"):
        result = circle_control.set_lock(session, op == "lock")
    else:
        result = circle_control.end_circle(session)
    return _control(circle, op, result)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
