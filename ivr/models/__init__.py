"""Peerline's SQLAlchemy models, one module per domain; importing this loads them all."""
from ivr.models.calls import Call, Caller, CallStep, CallTally, Setting  # noqa: F401
from ivr.models.staff import AuditEntry, StaffUser  # noqa: F401
from ivr.models.shares import Share, ShareAudit, ShareDraft, Story, StoryHelpedMark, Topic  # noqa: F401
from ivr.models.circles import Circle, CircleCall, CircleFacilitator, CircleParticipant, CircleReminder, CircleSession  # noqa: F401
from ivr.models.alerts import OncallAlert  # noqa: F401
from ivr.models.guesses import GuessAttempt  # noqa: F401
