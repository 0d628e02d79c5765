"""A meeting's roster: who may enter, who is present, hands, mutes and removals, built from
Twilio's conference status callbacks.

Twilio may repeat those callbacks or deliver them out of order, so each participant row remembers the
last SequenceNumber it applied and ignores anything older. Our own events (star menu, hands,
removals) are written here too.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import abort
from sqlalchemy import select

from ivr.extensions import db
from ivr.models.base import utcnow
from ivr.calls.models import FINAL_STATUSES, Call
from ivr.circles.models import (Circle, CircleCall, CircleParticipant, CircleSession)

from ivr.circles.domain import JOIN_GRACE, MENU_GRACE, session_for_conference

log = logging.getLogger(__name__)


@dataclass
class Admission:
    """Whether a caller may enter a meeting now, and why not."""

    participant: CircleParticipant | None
    refused: str | None = None  # "full" | "locked" | "closed"


def places_taken(session: CircleSession, now: datetime | None = None) -> int:
    """Participants holding a place: on the call, in the star menu, or about to join."""
    return sum(1 for p in _holding_places(session, now) if p.role == "participant")


def _holding_places(session: CircleSession, now: datetime | None = None) -> list[CircleParticipant]:
    now = now or utcnow()
    rows = list(db.session.execute(select(CircleParticipant).filter_by(session_id=session.id, removed=False)
                                   .where(CircleParticipant.left_at.is_(None))).scalars())
    # Someone who hung up in the star menu gets no leave callback; the call's own status does.
    hung_up = set(db.session.execute(
        select(Call.call_sid).where(Call.call_sid.in_([p.call_sid for p in rows if not p.connected]),
                                    Call.status.in_(FINAL_STATUSES))
    ).scalars()) if rows else set()
    holding = []
    for p in rows:
        if p.connected:
            holding.append(p)
        elif p.call_sid in hung_up:
            continue
        elif p.in_menu_since is not None and _aware(p.in_menu_since) > now - MENU_GRACE:
            holding.append(p)
        elif p.joined_at is None and _aware(p.created_at) > now - JOIN_GRACE:
            holding.append(p)
    return holding


def get_participant(participant_id: int | None, *, circle: Circle | None = None) -> CircleParticipant:
    """The participant with this id; aborts with 404 if there is none, or if `circle` is given and
    the participant was in a meeting of another circle."""
    participant = db.session.get(CircleParticipant, participant_id) if participant_id else None
    if participant is None or (circle is not None and participant.session.circle_id != circle.id):
        abort(404)
    return participant


def participant_for_call(session: CircleSession, call_sid: str) -> CircleParticipant | None:
    """This call's roster row in a meeting, if any."""
    return db.session.execute(select(CircleParticipant).filter_by(session_id=session.id, call_sid=call_sid)
                              ).scalar_one_or_none()


def admit(session: CircleSession, call_sid: str, *, caller_id: int | None = None,
          role: str = "participant", now: datetime | None = None) -> Admission:
    """Give a caller a place on the roster, unless the circle is full or locked (facilitators always)."""
    existing = participant_for_call(session, call_sid)
    if existing is not None and existing.removed:
        return Admission(None, "locked")
    if existing is not None and role == "facilitator":
        existing.role = "facilitator"
    if existing is None or existing.left_at is not None:
        if role != "facilitator":
            # Two callers taking the last place at once: the row lock makes them queue (PostgreSQL).
            db.session.execute(select(CircleSession.id).where(CircleSession.id == session.id).with_for_update())
            circle = session.circle
            if session.locked or circle.locked:
                return Admission(None, "locked")
            if places_taken(session, now) >= circle.cap:
                return Admission(None, "full")
    if existing is None:
        muted = role != "facilitator" and session.circle.participant_muted_default
        existing = CircleParticipant(session_id=session.id, call_sid=call_sid, caller_id=caller_id,
                                     label="p-" + secrets.token_hex(8), role=role, connected=False,
                                     muted=muted, hold=False, speaking=False, removed=False,
                                     rules_heard=False, last_sequence=0)
        db.session.add(existing)
        state = db.session.execute(select(CircleCall).filter_by(call_sid=call_sid)).scalar_one_or_none()
        if state is not None:
            existing.name_recording_sid = state.name_recording_sid
            existing.name_recording_url = state.name_recording_url
    existing.left_at = None
    existing.in_menu_since = None
    db.session.flush()
    return Admission(existing)


def roster(session: CircleSession) -> list[CircleParticipant]:
    """Everyone who has been in the meeting, in the order they came (for the staff console)."""
    return list(db.session.execute(select(CircleParticipant).filter_by(session_id=session.id)
                                   .order_by(CircleParticipant.id)).scalars())


def present(session: CircleSession, role: str | None = None) -> list[CircleParticipant]:
    """Who is on the conference right now (optionally one role)."""
    query = select(CircleParticipant).filter_by(session_id=session.id, connected=True).order_by(CircleParticipant.id)
    if role:
        query = query.filter_by(role=role)
    return list(db.session.execute(query).scalars())


def hand_queue(session: CircleSession, connected_only: bool = True) -> list[CircleParticipant]:
    """Raised hands, first raised first (only those on the call unless told otherwise)."""
    query = (select(CircleParticipant).filter_by(session_id=session.id, removed=False)
             .where(CircleParticipant.hand_raised_at.is_not(None), CircleParticipant.left_at.is_(None))
             .order_by(CircleParticipant.hand_raised_at, CircleParticipant.id))
    if connected_only:
        query = query.filter_by(connected=True)
    return list(db.session.execute(query).scalars())


def toggle_hand(participant: CircleParticipant) -> bool:
    """Raise a lowered hand or lower a raised one; returns True when now raised."""
    participant.hand_raised_at = None if participant.hand_raised_at else utcnow()
    return participant.hand_raised_at is not None


def lower_hand(participant: CircleParticipant) -> None:
    """Lower a participant's hand (they were given the floor, or left)."""
    participant.hand_raised_at = None


def step_out(participant: CircleParticipant) -> None:
    """The caller pressed star: off the conference leg, in the menu, still holding a place."""
    if participant.removed or participant.session.status == "ended":
        return
    participant.in_menu_since = utcnow()
    participant.left_at = None


def leave(participant: CircleParticipant) -> None:
    """The caller left the circle for good (by the menu, or for the crisis line)."""
    participant.left_at = participant.left_at or utcnow()
    participant.in_menu_since = None
    participant.hand_raised_at = None


def record_muted(participant: CircleParticipant, muted: bool) -> None:
    """Note a mute/unmute we made through the REST API (callbacks confirm it later)."""
    participant.muted = muted


def record_speaker(session: CircleSession, participant: CircleParticipant) -> None:
    """Remember who was last given the floor (for "remove the last speaker")."""
    session.last_speaker_id = participant.id
    lower_hand(participant)


def record_removed(participant: CircleParticipant) -> None:
    """The facilitator removed this caller: they may not come back to this meeting."""
    participant.removed = True
    participant.connected = False
    participant.hand_raised_at = None
    participant.left_at = participant.left_at or utcnow()


def record_ended(session: CircleSession) -> None:
    """The meeting is over: everyone off the roster."""
    now = utcnow()
    if session.status != "ended":
        session.status = "ended"
        session.ended_at = now
    for p in roster(session):
        p.connected = False
        p.speaking = False
        p.hand_raised_at = None
        p.in_menu_since = None
        p.left_at = p.left_at or now


def record_hold(participant: CircleParticipant, hold: bool) -> None:
    """Note a hold/unhold we made through the REST API (callbacks confirm it later)."""
    participant.hold = hold


def first_name_recordings(session: CircleSession) -> list[str]:
    """Twilio RecordingSids of this meeting's first names (to delete once it has ended)."""
    sids = {p.name_recording_sid for p in roster(session) if p.name_recording_sid}
    return sorted(sids)


def forget_first_name(recording_sid: str) -> None:
    """Forget a first-name recording everywhere we noted it (it was deleted at Twilio)."""
    for model in (CircleParticipant, CircleCall):
        for row in db.session.execute(select(model).filter_by(name_recording_sid=recording_sid)).scalars():
            row.name_recording_sid = None
            row.name_recording_url = None


def mark_rules_heard(participant: CircleParticipant) -> None:
    """The ground rules were played to this caller (before the Dial, or announced to all)."""
    participant.rules_heard = True


def mark_rules_announced(session: CircleSession) -> None:
    """The ground rules were announced to the whole conference at its start."""
    session.rules_announced = True
    for p in present(session):
        p.rules_heard = True


def started_by(session: CircleSession, facilitator_id: int | None) -> None:
    """Note which facilitator runs this meeting."""
    session.facilitator_id = session.facilitator_id or facilitator_id


# ---- conference status callbacks -------------------------------------------------------------

@dataclass
class CallbackOutcome:
    """What a conference callback changed, and what the caller of this module should do next."""

    session_id: int | None = None
    applied: bool = False
    announce_rules: bool = False
    ended: bool = False
    notes: list[str] = field(default_factory=list)


_PARTICIPANT_EVENTS = {
    "participant-join", "participant-leave", "participant-mute", "participant-unmute",
    "participant-hold", "participant-unhold", "participant-speech-start", "participant-speech-stop",
}


def apply_conference_event(form) -> CallbackOutcome:
    """Apply one conference status callback to the roster: idempotent, stale events ignored."""
    event = form.get("StatusCallbackEvent", "")
    session = session_for_conference(form.get("FriendlyName"), form.get("ConferenceSid"))
    outcome = CallbackOutcome(session_id=session.id if session else None)
    if session is None:
        outcome.notes.append("unknown conference")
        return outcome
    if form.get("ConferenceSid") and not session.conference_sid:
        session.conference_sid = form["ConferenceSid"][:64]
    seq = _int(form.get("SequenceNumber"))
    if event == "conference-start":
        if session.status == "waiting":
            session.status = "live"
            session.started_at = session.started_at or utcnow()
            outcome.applied = True
        outcome.announce_rules = session.status == "live" and not session.rules_announced
    elif event == "conference-end":
        outcome.applied = session.status != "ended"
        outcome.ended = True
        record_ended(session)
    elif event in _PARTICIPANT_EVENTS:
        outcome.applied = _apply_participant_event(session, event, form, seq)
    session.last_sequence = max(session.last_sequence or 0, seq)
    return outcome


def _apply_participant_event(session: CircleSession, event: str, form, seq: int) -> bool:
    call_sid = form.get("CallSid", "")
    if not call_sid:
        return False
    participant = participant_for_call(session, call_sid)
    if participant is None:
        # Someone Twilio put in the conference without passing our admission (e.g. via REST):
        # the roster must still show them.
        participant = CircleParticipant(session_id=session.id, call_sid=call_sid[:64],
                                        label="p-" + secrets.token_hex(8), role="participant",
                                        connected=False, muted=True, hold=False, speaking=False,
                                        removed=False, rules_heard=False, last_sequence=0)
        db.session.add(participant)
    if seq and seq <= (participant.last_sequence or 0):
        return False  # a repeat, or older than what we already applied
    participant.last_sequence = max(seq, participant.last_sequence or 0)
    # Every participant event carries a snapshot (Muted, Hold) and implies whether the caller
    # is on the call at that moment, so the newest event wins and older ones change nothing.
    now = utcnow()
    if event == "participant-leave":
        participant.connected = False
        participant.speaking = False
        if participant.in_menu_since is None:
            # Left without the star menu: hung up, or was removed. A later star-menu
            # webhook (they can cross) gives the place back.
            participant.left_at = participant.left_at or now
        return True
    if session.status == "ended" or participant.removed:
        return False
    participant.connected = True
    participant.joined_at = participant.joined_at or now
    participant.left_at = None
    participant.in_menu_since = None
    default_muted = {"participant-mute": True, "participant-unmute": False}.get(event, participant.muted)
    participant.muted = _flag(form, "Muted", default_muted)
    default_hold = {"participant-hold": True, "participant-unhold": False}.get(event, participant.hold)
    participant.hold = _flag(form, "Hold", default_hold)
    if event == "participant-speech-start":
        participant.speaking = True
        if participant.role == "participant":
            session.last_speaker_id = participant.id
    elif event in ("participant-speech-stop", "participant-join"):
        participant.speaking = False
    return True


def _flag(form, name: str, default: bool) -> bool:
    value = form.get(name)
    return default if value is None else value.lower() == "true"


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
