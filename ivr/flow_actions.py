"""Every feature's flow actions: importing this registers them all in ivr.calls.registry.ACTIONS."""
from ivr.calls import actions as _calls  # noqa: F401
from ivr.calls.registry import ACTIONS, action  # noqa: F401
from ivr.circles import actions as _circles, facilitation as _facilitation  # noqa: F401
from ivr.circles import reminder_actions as _reminder_actions  # noqa: F401
from ivr.shares import actions as _shares, my_shares as _my_shares, unlock as _unlock  # noqa: F401
from ivr.stories import actions as _stories, my_stories as _my_stories, reply_actions as _replies  # noqa: F401
