"""Reference number + PIN, for callers whose number is withheld: "your shares" and "your story" both open
a share this way. The PIN is asked whether or not the reference matches (nothing is revealed), checked
with argon2 (locked after repeated failures), and an opened share is noted on the call, never the PIN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


from ivr import guesses
from ivr.shares import domain as shares
from ivr.calls import keypad
from ivr.calls.registry import action
from ivr.shares.models import Share

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
        if isinstance(share, str):
            return share  # over a guessing limit (ivr.guesses): the main menu
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


def pin_entered(ctx, step, response, door: Door, fits: Callable[[Share], bool]) -> Share | str | None:
    """The share this PIN opens (noted on the call), None after re-asking for the reference, or
    "main_menu" when ivr.guesses' limits refuse the try: 3 per call; a share or caller tried too
    often is paused (15 min, 1 h, 24 h) and the caller hears how long."""
    pin = keypad.pressed(ctx).rstrip("#")
    share = shares.get(keypad.arg_id("s") or 0)
    if not pin and keypad.pound_alone(ctx):  # back one level: the reference again
        keypad.chose(ctx)
        ask_reference(ctx, response, door)
        return None
    refused = _over_the_limit(ctx, step, response, share)
    if refused:
        return refused
    ok = share is not None and fits(share) and bool(pin) and shares.check_pin(share, pin)
    if pin:  # every try is counted by its own time, whichever door it came through (issue 13)
        guesses.note(guesses.SHARE_PIN, share.id if share else None, ctx.call.call_sid, ctx.call.caller_id, ok=ok)
    if not ok:
        if guesses.calls_tries_used(guesses.SHARE_PIN, ctx.call.call_sid):
            ctx.voice.speak(response, door.no_match)
            ctx.voice.speak(response, "my_shares_no_more_tries")
            return "main_menu"
        keypad.miss(ctx, step, response, door.no_match if pin else "no_input", lambda r: ask_reference(ctx, r, door))
        return None
    keypad.chose(ctx)
    ctx.call.unlocked.add(share.id)  # travels in the call's URL state (ivr.calls.call_state)
    return share


def unlocked(ctx, door: Door, share_id: int) -> bool:
    """True if this call opened the share with its reference and PIN."""
    return share_id in ctx.call.unlocked


def _over_the_limit(ctx, step, response, share: Share | None) -> str | None:
    """"main_menu" (after saying why) when this call, this caller or this share may not try a PIN now."""
    if guesses.calls_tries_used(guesses.SHARE_PIN, ctx.call.call_sid):
        ctx.log(step.name, "no_more_tries")
        ctx.voice.speak(response, "my_shares_no_more_tries")
        return "main_menu"
    wait = guesses.caller_pause(guesses.SHARE_PIN, ctx.call.caller_id)
    if wait is None and share is not None:
        wait = guesses.target_pause(guesses.SHARE_PIN, share.id)
    if wait is None:
        return None
    ctx.log(step.name, "locked")
    unit, values = guesses.spoken_wait(wait)
    ctx.voice.speak(response, f"my_shares_locked_{unit}", **values)
    return "main_menu"
