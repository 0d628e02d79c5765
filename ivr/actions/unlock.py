"""Reference number + PIN, for callers whose number is withheld: "your shares" and "your story" both open
a share this way. The PIN is asked whether or not the reference matches (nothing is revealed), checked
with argon2 (locked after repeated failures), and an opened share is noted on the call, never the PIN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from ivr import shares
from ivr.actions import keypad
from ivr.actions.registry import action
from ivr.extensions import db
from ivr.models import CallStep, Share

CRISIS = "0"
PIN_GATHER_DIGITS = 8  # long enough that a mistyped PIN is refused rather than cut short


@dataclass(frozen=True)
class Door:
    """The steps and words of one reference + PIN entrance."""

    ref_step: str
    pin_step: str
    ask: str           # prompt: enter the reference number
    invalid: str       # prompt: a reference has six digits
    pin: str           # prompt: now the PIN
    no_match: str      # prompt: reference and PIN do not match
    back: str | None = None  # where # alone (no digits) at the reference goes; None counts it as no input


def register(door: Door, fits: Callable[[Share], bool], opened: Callable) -> None:
    """Register the door's two actions: the reference step, then the PIN step, which calls
    `opened(ctx, response, share)` once the PIN opens a share that `fits`."""

    @action(door.ref_step)
    def reference_step(ctx, step, response):
        ask_reference(ctx, response, door)
        return None

    @reference_step.on_input
    def reference_input(ctx, step, response):
        return "crisis" if crisis(ctx) else reference_entered(ctx, step, response, door, fits)

    @action(door.pin_step)
    def pin_step(ctx, step, response):
        return door.ref_step  # entered without a reference: ask for it

    @pin_step.on_input
    def pin_input(ctx, step, response):
        if crisis(ctx):
            return "crisis"
        share = pin_entered(ctx, step, response, door, fits)
        return opened(ctx, response, share) if share is not None else None


def crisis(ctx) -> bool:
    """True if the caller keyed the crisis key alone."""
    return keypad.pressed(ctx).rstrip("#") == CRISIS


def ask_reference(ctx, response, door: Door) -> None:
    """Ask for the six-digit reference number."""
    g = keypad.digits_gather(ctx, response, door.ref_step, shares.REFERENCE_DIGITS + 1)
    ctx.voice.speak(g, door.ask)


def reference_entered(ctx, step, response, door: Door, fits: Callable[[Share], bool]) -> str | None:
    """Handle the reference: re-ask if malformed, else ask the PIN (for the share only if it `fits`)."""
    digits = keypad.pressed(ctx).rstrip("#")
    if not digits and door.back and keypad.pound_alone(ctx):
        keypad.chose(ctx)
        return door.back
    if not digits.isdigit() or len(digits) != shares.REFERENCE_DIGITS:
        keypad.miss(ctx, step, response, door.invalid if digits else "no_input", lambda r: ask_reference(ctx, r, door))
        return None
    keypad.chose(ctx)
    share = shares.find_by_reference(digits)
    target = share.id if share is not None and fits(share) else 0
    g = keypad.digits_gather(ctx, response, door.pin_step, PIN_GATHER_DIGITS, s=target)
    ctx.voice.speak(g, door.pin)
    return None


def pin_entered(ctx, step, response, door: Door, fits: Callable[[Share], bool]) -> Share | None:
    """The share this PIN opens (noted on the call), or None after re-asking for the reference."""
    pin = keypad.pressed(ctx).rstrip("#")
    share = shares.get(keypad.arg_id("s") or 0)
    if not pin and keypad.pound_alone(ctx):  # back one level: the reference again
        keypad.chose(ctx)
        ask_reference(ctx, response, door)
        return None
    if share is None or not fits(share) or not shares.check_pin(share, pin):
        keypad.miss(ctx, step, response, door.no_match if pin else "no_input", lambda r: ask_reference(ctx, r, door))
        return None
    keypad.chose(ctx)
    ctx.log(step.name, f"unlock:{share.id}")
    db.session.flush()
    return share


def unlocked(ctx, door: Door, share_id: int) -> bool:
    """True if this call opened the share with its reference and PIN."""
    return db.session.execute(
        select(CallStep.id).filter_by(call_id=ctx.call.id, step=door.pin_step, outcome=f"unlock:{share_id}").limit(1)
    ).first() is not None
