"""Voice webhook routes. Every route here is signed by Twilio and never answers with a 500."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from sqlalchemy.exc import OperationalError, TimeoutError as SATimeoutError
from werkzeug.exceptions import HTTPException

from ivr import database
from ivr.calls import engine
from ivr.signing import require_twilio_signature
from ivr.calls.twiml import Voice, twiml
from ivr.calls.state import commit_call_state, context_for, end_call, note_error, start_call

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(require_twilio_signature)


def flows():
    """The validated flows loaded at start-up."""
    return current_app.extensions["peerline.flows"]


@bp.post("/incoming")
def incoming():
    """The number's Voice URL: a new call enters the flow at its start step."""
    call = start_call(request.form)
    ctx = engine.CallContext(call=call, flows=flows(), config=current_app.config, form=request.form)
    response = engine.render(ctx, flows().start)
    commit_call_state()
    return twiml(response)


@bp.post("/step/<name>")
def step(name: str):
    """Render a step (the target of <Redirect>s)."""
    ctx = context_for(request.form, flows())
    response = engine.render(ctx, _known(name))
    commit_call_state()
    return twiml(response)


@bp.post("/step/<name>/input")
def step_input(name: str):
    """A step's Gather or Dial action: act on the caller's input."""
    ctx = context_for(request.form, flows())
    response = engine.handle_input(ctx, _known(name))
    commit_call_state()
    return twiml(response)


@bp.post("/status")
def status():
    """The call status callback (hang-up); idempotent."""
    end_call(request.form)
    database.commit()
    return ("", 204)


def _known(name: str) -> str:
    if name not in flows().steps:
        raise LookupError(f"unknown step {name!r}")
    return name


@bp.errorhandler(Exception)
def apologise(exc: Exception):
    """Any failure becomes TwiML that apologises, gives the crisis number and moves on."""
    if isinstance(exc, HTTPException) and exc.code < 500:
        return exc
    sid = request.form.get("CallSid", "?")
    log.exception("voice webhook failed (CallSid=%s, path=%s)", sid, request.path)
    config = current_app.config
    if isinstance(exc, (OperationalError, SATimeoutError)):
        # The database itself failed (maybe hung): touching it again would spend the seconds
        # Twilio gives us, so apologise at once and end kindly with the crisis number.
        database.discard()
        errors, language = 99, None
    else:
        database.rollback()
        errors, language = note_error(sid)
    voice = Voice(flows().prompts, language or config["DEFAULT_LANGUAGE"], config["PUBLIC_BASE_URL"],
                  engine.crisis_values(config))
    response = VoiceResponse()
    voice.speak(response, "error_apology")
    if errors <= 1 and not request.path.endswith("/main_menu/input"):
        response.redirect(config["PUBLIC_BASE_URL"] + "/voice/step/main_menu", method="POST")
    else:
        voice.speak(response, "goodbye")
        response.hangup()
    return twiml(response)
