"""Actions of the caller's main path: routing a new call, language, how-to, the crisis line."""
from __future__ import annotations

from ivr.calls.registry import action
from ivr.calls.call_state import HEARD_HOWTO

DIAL_REACHED = {"completed", "answered"}


@action("route_caller", pure=True)
def route_caller(ctx, step, response):
    """Every call starts here; the welcome decides the rest."""
    return "welcome"


@action("welcome", pure=True)
def welcome(ctx, step, response):
    """Greet, then ask the language of unknown callers and give first-timers the how-to."""
    ctx.voice.speak(response, "welcome")
    # The preferences read with the call (no caller row is created just to say hello).
    language, heard_howto = ctx.call.saved_preferences()
    if language is None:
        return "language"
    if not heard_howto:
        return "howto"
    return "main_menu"


@action("set_language")
def set_language(ctx, step, response):
    """Switch the call (and a known caller, for next time) to the chosen language."""
    language = step.args["language"]
    ctx.call.language = language
    if ctx.caller is not None:
        ctx.caller.language = language
    ctx.voice.speak(response, "language_set")
    return "main_menu" if _heard_howto(ctx) else "howto"


@action("howto_heard")
def howto_heard(ctx, step, response):
    """Remember that this caller has heard (or skipped) the how-to."""
    ctx.call.flags.add(HEARD_HOWTO)
    if ctx.caller is not None:
        ctx.caller.heard_howto = True
    return "main_menu"


def _heard_howto(ctx) -> bool:
    if HEARD_HOWTO in ctx.call.flags:
        return True
    return ctx.caller is not None and ctx.caller.heard_howto


@action("crisis_dial", pure=True)
def crisis_dial(ctx, step, response):
    """One warm sentence, then dial the crisis line (or speak its number if we cannot)."""
    voice = ctx.voice
    number = ctx.config["CRISIS_NUMBER"]
    voice.speak(response, "crisis_warm")
    if not number:
        voice.speak(response, "crisis_call_this")
        return "crisis_after"
    voice.speak(response, "crisis_connecting")
    response.dial(number, action=ctx.step_url(step.name, "/input"), method="POST", timeout=30)
    return None


@crisis_dial.on_input
def crisis_dial_result(ctx, step, response):
    """After the crisis dial: back where the caller was; if it did not connect, the number slowly, twice."""
    status = ctx.form.get("DialCallStatus", "")
    ctx.log(step.name, status[:32] or None)
    if status not in DIAL_REACHED:
        ctx.voice.speak(response, "crisis_spoken")
        return "crisis_after"
    return ctx.call.return_step or "main_menu"


@action("crisis_back", pure=True)
def crisis_back(ctx, step, response):
    """Pound after the crisis number: back to where the caller was (a kept recording, a story)."""
    return ctx.call.return_step or "main_menu"
