"""Flow actions; importing this package registers every action module."""
from ivr.actions import core  # noqa: F401
from ivr.actions import my_shares, shares, stories  # noqa: F401
from ivr.actions import my_stories, replies  # noqa: F401
from ivr.actions import circles, circle_facilitation, circle_reminders  # noqa: F401
from ivr.actions.registry import ACTIONS, action  # noqa: F401
