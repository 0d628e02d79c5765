"""Twilio webhooks of circles: conference status callbacks, the waiting room, announcements,
first-name recordings and the reminder calls Peerline places. All on the signed voice blueprint."""
from __future__ import annotations

import logging

from flask import abort, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from ivr import circle_control, circles, engine, jobs, reminders, twilio_ids
from ivr.extensions import db
from ivr.models import Call
from ivr.models.circles import Circle, CircleParticipant, CircleSession
from ivr.twiml import Voice, twiml
from ivr.call_state import CallState
from ivr.live_call import LiveCall
from ivr.voice.calls import answer, find_call, insert_call
from ivr.voice.routes import bp, flows

log = logging.getLogger(__name__)

HOLD_MUSIC = "gentle.wav"


def _get(model, arg: str):
    """The row named by an opaque id in the query string, or 404."""
    row_id = request.args.get(arg, type=int)
    row = db.session.get(model, row_id) if row_id else None
    if row is None:
        abort(404)
    return row


def _check_ids(**fields: str) -> None:
    """400 for a Twilio id of the wrong shape (prefix → form field; absent ids are allowed)."""
    for prefix, name in fields.items():
        if not twilio_ids.valid(prefix, request.form.get(name), required=False):
            abort(400)


def _voice(language: str) -> Voice:
    config = current_app.config
    return Voice(flows().prompts, language, config["PUBLIC_BASE_URL"], engine.crisis_values(config))


@bp.post("/circles/conference")
def circle_conference_status():
    """Conference status callback: keep the roster; at the start, announce the ground rules."""
    _check_ids(CF="ConferenceSid", CA="CallSid")
    outcome = circles.apply_conference_event(request.form)
    db.session.commit()
    if outcome.announce_rules and outcome.session_id:
        session = db.session.get(CircleSession, outcome.session_id)
        circle_control.announce_rules(session)
        db.session.commit()
    if outcome.ended:
        # First names are for this meeting's roll call only: Twilio's copies go when it ends.
        jobs.enqueue("workers.circle_names.forget_first_names", outcome.session_id,
                     job_id=f"circle-names-{outcome.session_id}")
    return ("", 204)


@bp.post("/circles/wait")
def circle_wait():
    """The waiting room (waitUrl ?c=circle id): a kind word and gentle hold music, which Twilio loops."""
    circle = _get(Circle, "c")
    response = VoiceResponse()
    if request.args.get("f") != "1":  # the facilitator waits for participants, not for themself
        _voice(circle.language).speak(response, "circle_waiting")
    response.play(current_app.config["PUBLIC_BASE_URL"] + f"/audio/hold/{HOLD_MUSIC}", loop=3)
    return twiml(response)


@bp.post("/circles/rules")
def circle_rules():
    """Announcement TwiML (?s=session id): the ground rules, in the circle's language."""
    session = _get(CircleSession, "s")
    response = VoiceResponse()
    voice = _voice(session.circle.language)
    voice.speak(response, "circle_rules")
    voice.speak(response, "circle_rules_keys")
    return twiml(response)


@bp.post("/circles/floor")
def circle_floor():
    """Announcement TwiML (?p=participant id): who has the floor (their first name, if recorded)."""
    participant = _get(CircleParticipant, "p")
    voice = _voice(participant.session.circle.language)
    response = VoiceResponse()
    if participant.name_recording_url:
        voice.speak(response, "circle_floor_to")
        response.play(participant.name_recording_url)
    else:
        voice.speak(response, "circle_floor_next")
    return twiml(response)


@bp.post("/circles/name-recording")
def circle_name_recording():
    """recordingStatusCallback of a first-name recording: keep its id and URL once complete."""
    form = request.form
    _check_ids(RE="RecordingSid", CA="CallSid")
    if form.get("RecordingStatus") == "completed" and form.get("CallSid"):
        circles.keep_first_name(form["CallSid"], form.get("RecordingSid"), form.get("RecordingUrl"))
        db.session.commit()
    return ("", 204)


@bp.post("/circles/reminder")
def circle_reminder_call():
    """The reminder call Peerline placed (?r=reminder id) was answered: enter `entry_circle_reminder`."""
    reminder = reminders.get(request.args.get("r", type=int))
    sid = request.form.get("CallSid", "")
    # Outbound: "From" is our own number, so the caller comes from the reminder, not the form.
    call = find_call(sid) or insert_call(Call(
        call_sid=sid, caller_id=reminder.caller_id if reminder else None,
        language=reminder.language if reminder else current_app.config["DEFAULT_LANGUAGE"]))
    state = circles.call_state(sid)
    state.reminder_id = reminder.id if reminder else None
    live = LiveCall(sid, CallState.of_row(call), row=call)  # no caller number: it is our own
    ctx = engine.CallContext(call=live, flows=flows(), config=current_app.config, form=request.form)
    response = engine.render(ctx, "entry_circle_reminder")
    live.save_to_row()
    db.session.commit()
    return answer(ctx, response)
