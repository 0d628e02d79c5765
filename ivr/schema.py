"""Every table of every feature: importing this loads all models (Alembic, the app factory)."""
from ivr.calls.models import Call, Caller, CallStep, CallTally, Setting  # noqa: F401
from ivr.circles.models import (Circle, CircleCall, CircleFacilitator, CircleParticipant,  # noqa: F401
                                CircleReminder, CircleSession)
from ivr.models.guesses import GuessAttempt  # noqa: F401
from ivr.shares.models import OncallAlert, Share, ShareAudit, ShareDraft  # noqa: F401
from ivr.staff.models import AuditEntry, StaffUser  # noqa: F401
from ivr.stories.models import Story, StoryHelpedMark, Topic  # noqa: F401
