"""Named actions that flows may call; the flow validator checks names against this registry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

ACTIONS: dict[str, "Action"] = {}


@dataclass
class Action:
    """A named action: `render` runs when its step is entered, `handle` when input arrives.

    Both take (ctx, step, response) and either append TwiML to `response` and return
    None, or return the name of the step to continue with.
    """

    name: str
    render: Callable
    handle: Callable | None = None
    #: Its render reads only the call's state, saved preferences and settings and writes nothing,
    #: so an answer that ran it may be remembered (ivr.calls.menu_moves). Input handlers never are.
    pure: bool = False

    def on_input(self, fn: Callable) -> Callable:
        """Register the handler for input gathered by this action (digits, dial results)."""
        self.handle = fn
        return fn


def action(name: str, *, pure: bool = False) -> Callable[[Callable], Action]:
    """Register a function as the named flow action (pure: see Action.pure)."""
    def decorator(fn: Callable) -> Action:
        if name in ACTIONS:
            raise ValueError(f"action {name!r} registered twice")
        ACTIONS[name] = Action(name=name, render=fn, pure=pure)
        return ACTIONS[name]
    return decorator
