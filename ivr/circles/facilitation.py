"""Facilitator actions: sign in with circle number + PIN, and the controls of the star menu."""
from __future__ import annotations

import logging

from ivr import guesses
from ivr.circles import control as circle_control
from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.circles.actions import chosen_circle, facilitated_session, report_failures
from ivr.calls.registry import action

log = logging.getLogger(__name__)


def facilitator_control(name: str):
    """Register a star-menu control that needs the caller to facilitate a live meeting.

    The wrapped function gets (ctx, session, response), speaks its outcome, and the facilitator
    hears a short line (the star menu is not repeated); a caller who is not the facilitator just goes back too.
    """
    def decorator(fn):
        def render(ctx, step, response):
            session = facilitated_session(ctx)
            if session is not None:
                fn(ctx, session, response)
            return "circle_fac_done"
        render.__doc__ = fn.__doc__
        return action(name)(render)
    return decorator


@action("circle_fac_pin")
def circle_fac_pin(ctx, step, response):
    """Digits step (sensitive): the facilitator's PIN."""
    return None


@circle_fac_pin.on_input
def circle_fac_pin_entered(ctx, step, response):
    """Verify the PIN, counting each try by its own time (see ivr.guesses for the limits).

    Three wrong tries per call, then the main menu; a caller who used them is refused before any
    PIN is checked. A paused circle or caller is told how long; a facilitator calling from their
    registered phone skips the circle-wide pause (strangers cannot lock them out).
    """
    pin = (ctx.form.get("Digits") or "").strip("#* ")
    circle = chosen_circle(ctx)
    sid, caller_id = ctx.call.call_sid, ctx.call.caller_id
    if guesses.calls_tries_used(guesses.CIRCLE_PIN, sid):
        ctx.log(step.name, "no_more_tries")
        ctx.voice.speak(response, "circle_fac_pin_no_more_tries")
        return "main_menu"
    wait = guesses.caller_pause(guesses.CIRCLE_PIN, caller_id)
    if wait is None and circle is not None and not circles.registered_facilitator_phone(circle, ctx.caller):
        wait = guesses.target_pause(guesses.CIRCLE_PIN, circle.id)
    if wait is not None:
        log.warning("PIN sign-in paused for circle %s: too many wrong PINs lately", circle.number if circle else "?")
        ctx.log(step.name, "paused")
        unit, values = guesses.spoken_wait(wait)
        ctx.voice.speak(response, f"circle_fac_pin_paused_{unit}", **values)
        return "main_menu"
    facilitator = circles.verify_facilitator(circle, pin) if circle else None
    guesses.note(guesses.CIRCLE_PIN, circle.id if circle else None, sid, caller_id, ok=facilitator is not None)
    if facilitator is None:
        ctx.log(step.name, "wrong")  # never the digits
        if guesses.calls_tries_used(guesses.CIRCLE_PIN, sid):
            ctx.voice.speak(response, "circle_fac_pin_locked")
            return "main_menu"
        ctx.voice.speak(response, "circle_fac_pin_wrong")
        return "circle_fac_pin"
    ctx.log(step.name, "ok")
    circles.log_in_facilitator(ctx.call.call_sid, facilitator)
    return "circle_enter"


@facilitator_control("circle_fac_unmute_next")
def circle_fac_unmute_next(ctx, session, response):
    """Unmute the first raised hand and announce it."""
    result = circle_control.unmute_next(session)
    if result.note == "no_hands":
        ctx.voice.speak(response, "circle_no_hands")
    elif result.ok and not result.note:
        waiting = len(circle_roster.hand_queue(session))
        prompt = {0: "circle_unmuted_next_last", 1: "circle_unmuted_next_one"}.get(waiting, "circle_unmuted_next")
        ctx.voice.speak(response, prompt, waiting=waiting)
    report_failures(ctx, response, result)


@facilitator_control("circle_fac_mute_all")
def circle_fac_mute_all(ctx, session, response):
    """Mute everyone but the facilitators."""
    result = circle_control.mute_all(session)
    if result.ok:
        ctx.voice.speak(response, "circle_muted_all")
    report_failures(ctx, response, result)


@facilitator_control("circle_fac_lock")
def circle_fac_lock(ctx, session, response):
    """Lock an open circle, or unlock a locked one."""
    locked = not session.locked
    circle_control.set_lock(session, locked)
    ctx.voice.speak(response, "circle_locked_now" if locked else "circle_unlocked_now")


@facilitator_control("circle_fac_count")
def circle_fac_count(ctx, session, response):
    """The count of participants and the raised hands in order (first names where recorded)."""
    hands = circle_roster.hand_queue(session)
    count = len(circle_roster.present(session, role="participant"))
    prompt = {0: "circle_fac_count_none", 1: "circle_fac_count_one"}.get(count, "circle_fac_count")
    ctx.voice.speak(response, prompt, count=count)
    if len(hands) == 1:
        ctx.voice.speak(response, "circle_fac_hands_one")
    elif hands:
        ctx.voice.speak(response, "circle_fac_hands", hands=len(hands))
    else:
        ctx.voice.speak(response, "circle_no_hands")
    if hands:
        ctx.voice.speak(response, "circle_fac_hand_order")
        for participant in hands:
            if participant.name_recording_url:
                response.play(participant.name_recording_url)
            else:
                ctx.voice.speak(response, "circle_fac_hand_unnamed")


@facilitator_control("circle_fac_remove_last")
def circle_fac_remove_last(ctx, session, response):
    """Remove whoever last had the floor."""
    result = circle_control.remove_last_speaker(session)
    if result.note == "no_speaker":
        ctx.voice.speak(response, "circle_no_last_speaker")
    elif result.ok:
        ctx.voice.speak(response, "circle_removed_last")
    report_failures(ctx, response, result)


@action("circle_fac_end")
def circle_fac_end(ctx, step, response):
    """End the circle for everyone."""
    session = facilitated_session(ctx)
    if session is None:
        return "main_menu"
    result = circle_control.end_circle(session)
    if not result.ok:
        report_failures(ctx, response, result)
        return "circle_fac_done"
    ctx.voice.speak(response, "circle_fac_ended")
    return "main_menu"


