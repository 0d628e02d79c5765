"""Peerline's SQLAlchemy models, one module per domain; importing this loads them all."""
from ivr.models.calls import Call, Caller, CallStep, Setting  # noqa: F401
