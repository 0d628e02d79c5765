"""Keypad gathers for actions whose choices are not fixed in a flow file (topics, stories, shares).

They post back to the step's input with opaque ids in the query string (never a number or a
name), and share the engine's rules: a miss re-prompts simply, the next starts again from the
main menu, only silence ends a call, 0 always reaches the crisis line, * repeats, # goes back.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.calls import engine


def input_url(ctx, step_name: str, **ids) -> str:
    """The input URL of a step, carrying opaque ids (e.g. s=12 for a story id)."""
    url = ctx.step_url(step_name, "/input")
    query = {k: v for k, v in ids.items() if v is not None}
    return url + ("?" + urlencode(query) if query else "")


def gather(ctx, response: VoiceResponse, step_name: str, *, timeout: int | None = None, **ids) -> Gather:
    """A one-key <Gather> posting to the step's input (with ids); append prompts to it."""
    # finishOnKey="" makes # a key like any other (Twilio's default would swallow it as "done").
    return ctx.voice.gather(response, input_url(ctx, step_name, **ids),
                            timeout=timeout or ctx.config["GATHER_TIMEOUT"], num_digits=1, finish_on_key="")


def digits_gather(ctx, response: VoiceResponse, step_name: str, max_digits: int, **ids) -> Gather:
    """A several-digit <Gather> ended by # (references, PINs)."""
    return ctx.voice.gather(response, input_url(ctx, step_name, **ids), timeout=ctx.config["GATHER_TIMEOUT"] + 4,
                            num_digits=max_digits, finish_on_key="#")


def arg_id(name: str) -> int | None:
    """An integer id from this webhook's query string, or None."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def pressed(ctx) -> str:
    """What the caller pressed at this gather ("" for nothing)."""
    return (ctx.form.get("Digits") or "").strip()


def chose(ctx) -> None:
    """A valid choice: the caller's run of misses is over."""
    ctx.call.misses = 0


def pound_alone(ctx) -> bool:
    """A several-digit gather ended on # with nothing keyed: the caller wants to go back."""
    return engine.pound_alone(ctx)


def miss(ctx, step, response: VoiceResponse, reason: str, again) -> None:
    """Count a miss with the engine's rules; `again(response)` re-prompts this action's menu."""
    engine.miss(ctx, step, response, reason, again=again)


def flag(name: str) -> bool:
    """A yes/no flag from the query string."""
    return request.args.get(name) == "1"
