"""Voice webhook routes. Every route here is signed by Twilio and never answers with a 500."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from sqlalchemy.exc import OperationalError, TimeoutError as SATimeoutError
from werkzeug.exceptions import HTTPException

from ivr.calls import engine
from ivr.calls.answers import first_answer, input_answer
from ivr.calls.call_state import PREFIX, CallState, StateError
from ivr import database
from ivr.signing import require_twilio_signature
from ivr.calls.twiml import Voice, twiml, twiml_text
from ivr.calls.state import answer, context_for, end_call, finish_call_request, note_error

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(require_twilio_signature)
# The same step routes behind the call's state segment (ivr.calls.call_state), signed by Twilio like the rest.
stateful_bp = Blueprint("voice_state", __name__, url_prefix=PREFIX + "/<cs>/voice")
stateful_bp.before_request(require_twilio_signature)


def flows():
    """The validated flows loaded at start-up."""
    return current_app.extensions["peerline.flows"]


@bp.post("/incoming")
def incoming():
    """The number's Voice URL: a new call enters the flow at its start step."""
    return twiml_text(first_answer(request.form, flows()))


@bp.post("/step/<name>")
@stateful_bp.post("/step/<name>")
def step(name: str, cs: str | None = None):
    """Render a step (the target of <Redirect>s)."""
    ctx = context_for(request.form, flows(), cs)
    response = engine.render(ctx, _known(name))
    finish_call_request(ctx)
    return answer(ctx, response)


@bp.post("/step/<name>/input")
@stateful_bp.post("/step/<name>/input")
def step_input(name: str, cs: str | None = None):
    """A step's Gather or Dial action: act on the caller's input (a move through menus from memory)."""
    return twiml_text(input_answer(request.form, flows(), _known(name), cs, request.query_string.decode("latin-1")))


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
@stateful_bp.errorhandler(Exception)
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
        errors, language, state = 99, None, None
    else:
        database.rollback()
        state = _state_in_url()
        if state is not None:  # the count travels on, like the rest of the call's state
            state.errors += 1
            errors, language = state.errors, state.language
        else:
            errors, language = note_error(sid)
    voice = Voice(flows().prompts, language or config["DEFAULT_LANGUAGE"], config["PUBLIC_BASE_URL"],
                  engine.crisis_values(config))
    response = VoiceResponse()
    voice.speak(response, "error_apology")
    if errors <= 1 and not request.path.endswith("/main_menu/input"):
        segment = f"{PREFIX}/{state.encode()}" if state is not None else ""
        response.redirect(config["PUBLIC_BASE_URL"] + segment + "/voice/step/main_menu", method="POST")
    else:
        voice.speak(response, "goodbye")
        response.hangup()
    return twiml(response)


def _state_in_url() -> CallState | None:
    """The call state this request carried in its URL, if any (and readable)."""
    encoded = (request.view_args or {}).get("cs")
    if not encoded:
        return None
    try:
        return CallState.decode(encoded)
    except StateError:
        return None
