"""Twilio voice webhooks: thin views that parse, call the engine and render TwiML."""
from ivr.voice.routes import bp  # noqa: F401
