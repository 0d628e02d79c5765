"""Twilio voice webhooks: thin views that parse, call the engine and render TwiML."""
from ivr.voice.routes import bp, stateful_bp  # noqa: F401
from ivr.voice import circles  # noqa: F401,E402  (circle routes on the same signed blueprint)
