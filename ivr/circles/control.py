"""Facilitator controls over a live circle, through Peerline's telephony adapter.

Bulk operations (mute everyone) run on a bounded thread pool: Twilio's REST API is one request
per participant, so a 250-person circle done one by one takes 250 round trips. Transient errors
are retried with exponential backoff; whatever still fails is returned in the ControlResult so
the facilitator hears about it. Nothing is dropped silently. Database writes happen on the
calling thread, through ivr.circles, after the REST calls return.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

from flask import current_app

from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.extensions import db
from ivr.circles.models import CircleParticipant, CircleSession
from ivr import telephony

log = logging.getLogger(__name__)

MAX_WORKERS = 16  # bounded: well under Twilio's per-account REST concurrency limit
ATTEMPTS = 4
BACKOFF_S = 0.2  # first retry delay; doubles each time


@dataclass
class ControlResult:
    """The outcome of one facilitator control: who it worked for, and who it failed for and why."""

    op: str
    done: list[str] = field(default_factory=list)  # participant labels
    failed: list[tuple[str, str]] = field(default_factory=list)  # (label, error message)
    target: CircleParticipant | None = None  # e.g. who got the floor
    note: str | None = None  # "no_hands", "no_speaker", "no_conference"

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed


def _telephony():
    # Imported late, like ivr.shares does: the adapter pulls in the twilio REST client.
    return telephony


def with_retries(fn: Callable, *args, attempts: int = ATTEMPTS, backoff: float = BACKOFF_S):
    """Call fn(*args), retrying transient TelephonyErrors with exponential backoff."""
    telephony = _telephony()
    for attempt in range(attempts):
        try:
            return fn(*args)
        except telephony.TelephonyError as exc:
            if not exc.transient or attempt == attempts - 1:
                raise
            time.sleep(backoff * (2 ** attempt))


def run_bulk(fn: Callable, items: Iterable[tuple[str, tuple]], *, workers: int = MAX_WORKERS,
             attempts: int = ATTEMPTS, backoff: float = BACKOFF_S) -> tuple[list[str], list[tuple[str, str]]]:
    """Run fn(*args) for each (key, args) on a bounded pool; returns (done keys, failed (key, error))."""
    items = list(items)
    if not items:
        return [], []
    app = current_app._get_current_object()

    def one(item):
        key, args = item
        with app.app_context():  # the adapter reads its configuration from the app
            try:
                with_retries(fn, *args, attempts=attempts, backoff=backoff)
                return key, None
            except Exception as exc:  # reported to the facilitator, not swallowed
                return key, str(exc) or exc.__class__.__name__

    done, failed = [], []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        for key, error in pool.map(one, items):
            if error is None:
                done.append(key)
            else:
                failed.append((key, error))
    if failed:
        log.warning("%d of %d telephony calls failed after retries", len(failed), len(items))
    return done, failed


def _single(op: str, participant: CircleParticipant, fn: Callable, *args) -> ControlResult:
    result = ControlResult(op, target=participant)
    try:
        with_retries(fn, *args)
        result.done.append(participant.label)
    except Exception as exc:
        result.failed.append((participant.label, str(exc) or exc.__class__.__name__))
    return result


def _conference(session: CircleSession) -> str | None:
    return session.conference_sid


# ---- controls ------------------------------------------------------------------------------

def mute_all(session: CircleSession, *, workers: int = MAX_WORKERS) -> ControlResult:
    """Mute every participant on the call (facilitators keep their voice)."""
    result = ControlResult("mute_all")
    sid = _conference(session)
    if sid is None:
        result.note = "no_conference"
        return result
    people = {p.label: p for p in circle_roster.present(session, role="participant")}
    result.done, result.failed = run_bulk(
        _telephony().set_muted, ((label, (sid, p.call_sid, True)) for label, p in people.items()), workers=workers)
    for label in result.done:
        circle_roster.record_muted(people[label], True)
    db.session.flush()
    return result


def unmute_next(session: CircleSession) -> ControlResult:
    """Give the floor to the first raised hand: unmute them and announce it to the circle."""
    result = ControlResult("unmute_next")
    sid = _conference(session)
    if sid is None:
        result.note = "no_conference"
        return result
    queue = circle_roster.hand_queue(session)
    if not queue:
        result.note = "no_hands"
        return result
    participant = queue[0]
    result = _single("unmute_next", participant, _telephony().set_muted, sid, participant.call_sid, False)
    if result.ok:
        circle_roster.record_muted(participant, False)
        circle_roster.record_speaker(session, participant)
        _announce(sid, floor_url(participant))
    db.session.flush()
    return result


def mute(participant: CircleParticipant) -> ControlResult:
    """Mute one participant."""
    return _set_muted(participant, True)


def unmute(participant: CircleParticipant) -> ControlResult:
    """Unmute one participant (they become the last speaker)."""
    return _set_muted(participant, False)


def _set_muted(participant: CircleParticipant, muted: bool) -> ControlResult:
    def record():
        circle_roster.record_muted(participant, muted)
        if not muted:
            circle_roster.record_speaker(participant.session, participant)
    return _set_state(participant, "mute" if muted else "unmute", _telephony().set_muted, muted, record)


def _set_state(participant: CircleParticipant, op: str, rest_call, value: bool, record) -> ControlResult:
    """One participant's mute or hold through the REST API; the roster changes only if Twilio agreed."""
    session = participant.session
    if session.conference_sid is None:
        return ControlResult(op, target=participant, note="no_conference")
    result = _single(op, participant, rest_call, session.conference_sid, participant.call_sid, value)
    if result.ok:
        record()
    db.session.flush()
    return result


def hold(participant: CircleParticipant, on_hold: bool) -> ControlResult:
    """Put a participant on hold (they hear hold music) or bring them back."""
    return _set_state(participant, "hold" if on_hold else "unhold", _telephony().set_hold, on_hold,
                      lambda: circle_roster.record_hold(participant, on_hold))


def remove(participant: CircleParticipant) -> ControlResult:
    """Remove a participant from the meeting (they hear a kind message and may not rejoin it)."""
    session = participant.session
    if session.conference_sid is None or not participant.connected:
        # Not on the conference leg (e.g. in the star menu): the roster alone keeps them out.
        circle_roster.record_removed(participant)
        db.session.flush()
        return ControlResult("remove", done=[participant.label], target=participant)
    result = _single("remove", participant, _telephony().remove_participant, session.conference_sid, participant.call_sid)
    if result.ok:
        circle_roster.record_removed(participant)
    db.session.flush()
    return result


def remove_last_speaker(session: CircleSession) -> ControlResult:
    """Remove whoever last had the floor."""
    participant = db.session.get(CircleParticipant, session.last_speaker_id) if session.last_speaker_id else None
    if participant is None or participant.removed or participant.role == "facilitator":
        return ControlResult("remove", note="no_speaker")
    return remove(participant)


def set_lock(session: CircleSession, locked: bool) -> ControlResult:
    """Lock or unlock the meeting (no REST call: admission checks the roster)."""
    circles.set_session_lock(session, locked)
    db.session.flush()
    return ControlResult("lock" if locked else "unlock", done=[session.conference_name])


def end_circle(session: CircleSession) -> ControlResult:
    """End the meeting for everyone."""
    result = ControlResult("end")
    if session.conference_sid:
        try:
            with_retries(_telephony().end_conference, session.conference_sid)
            result.done.append(session.conference_name)
        except Exception as exc:
            result.failed.append((session.conference_name, str(exc) or exc.__class__.__name__))
            return result
    circle_roster.record_ended(session)
    db.session.flush()
    return result


def announce_rules(session: CircleSession) -> ControlResult:
    """Play the ground rules to everyone in the conference (at its start)."""
    result = ControlResult("announce_rules")
    if session.conference_sid is None:
        result.note = "no_conference"
        return result
    try:
        with_retries(_telephony().announce, session.conference_sid, rules_url(session))
        result.done.append(session.conference_name)
        circle_roster.mark_rules_announced(session)
    except Exception as exc:
        result.failed.append((session.conference_name, str(exc) or exc.__class__.__name__))
        log.warning("could not announce the ground rules to session %s: %s", session.id, exc)
    db.session.flush()
    return result


def _announce(conference_sid: str, url: str) -> None:
    try:
        with_retries(_telephony().announce, conference_sid, url)
    except Exception as exc:  # the floor was given; a missing announcement is not worth failing it
        log.warning("announcement failed: %s", exc)


def rules_url(session: CircleSession) -> str:
    """Public URL of the TwiML that speaks the ground rules in the circle's language."""
    return current_app.config["PUBLIC_BASE_URL"] + f"/voice/circles/rules?s={session.id}"


def floor_url(participant: CircleParticipant) -> str:
    """Public URL of the TwiML announcing who has the floor."""
    return current_app.config["PUBLIC_BASE_URL"] + f"/voice/circles/floor?p={participant.id}"
