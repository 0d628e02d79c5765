"""Twilio webhooks of circles: conference status callbacks, the waiting room, announcements,
first-name recordings and the reminder calls Peerline places. All on the signed voice blueprint."""
from __future__ import annotations

import logging

from flask import abort, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from ivr import jobs, twilio_ids
from ivr.circles import control as circle_control
from ivr.circles import domain as circles
from ivr.calls import engine
from ivr.circles import reminders
from ivr.calls.twiml import Voice, twiml
from ivr.calls.call_state import CallState
from ivr.calls.live_call import LiveCall
from ivr.calls.state import answer
from ivr.calls.routes import bp, flows
from ivr import database
from ivr.calls.state import start_outbound_call
from ivr.circles import roster as circle_roster

log = logging.getLogger(__name__)

HOLD_MUSIC = "gentle.wav"


def _arg(name: str) -> int | None:
    """An opaque row id from the query string (None if absent or not a number)."""
    return request.args.get(name, type=int)


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
    outcome = circle_roster.apply_conference_event(request.form)
    database.commit()
    if outcome.announce_rules and outcome.session_id:
        circle_control.announce_rules(circles.get_session(outcome.session_id))
        database.commit()
    if outcome.ended:
        # First names are for this meeting's roll call only: Twilio's copies go when it ends.
        jobs.enqueue_forget_first_names(outcome.session_id)
    return ("", 204)


@bp.post("/circles/wait")
def circle_wait():
    """The waiting room (waitUrl ?c=circle id): a kind word and gentle hold music, which Twilio loops."""
    circle = circles.get_circle(_arg("c"))
    response = VoiceResponse()
    if request.args.get("f") != "1":  # the facilitator waits for participants, not for themself
        _voice(circle.language).speak(response, "circle_waiting")
    response.play(current_app.config["PUBLIC_BASE_URL"] + f"/audio/hold/{HOLD_MUSIC}", loop=3)
    return twiml(response)


@bp.post("/circles/rules")
def circle_rules():
    """Announcement TwiML (?s=session id): the ground rules, in the circle's language."""
    session = circles.get_session(_arg("s"))
    response = VoiceResponse()
    voice = _voice(session.circle.language)
    voice.speak(response, "circle_rules")
    voice.speak(response, "circle_rules_keys")
    return twiml(response)


@bp.post("/circles/floor")
def circle_floor():
    """Announcement TwiML (?p=participant id): who has the floor (their first name, if recorded)."""
    participant = circle_roster.get_participant(_arg("p"))
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
        database.commit()
    return ("", 204)


@bp.post("/circles/reminder")
def circle_reminder_call():
    """The reminder call Peerline placed (?r=reminder id) was answered: enter `entry_circle_reminder`."""
    reminder = reminders.get(request.args.get("r", type=int))
    sid = request.form.get("CallSid", "")
    # Outbound: "From" is our own number, so the caller comes from the reminder, not the form.
    call = start_outbound_call(sid, caller_id=reminder.caller_id if reminder else None,
                               language=reminder.language if reminder else current_app.config["DEFAULT_LANGUAGE"])
    state = circles.call_state(sid)
    state.reminder_id = reminder.id if reminder else None
    live = LiveCall(sid, CallState.of_row(call), row=call)  # no caller number: it is our own
    ctx = engine.CallContext(call=live, flows=flows(), config=current_app.config, form=request.form)
    response = engine.render(ctx, "entry_circle_reminder")
    live.save_to_row()
    database.commit()
    return answer(ctx, response)
