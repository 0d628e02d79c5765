"""Actions for a caller's own shares (options): hear their status, withdraw or delete them.

Known callers are matched by caller ID; a caller whose number is withheld gives the share's
reference number and the PIN set when recording. Which share is meant travels as an opaque
id in the query string, and every handler checks again that this call may act on it.
"""
from __future__ import annotations

from ivr.shares import domain as shares
from ivr.calls import keypad
from ivr.shares import unlock
from ivr.calls.registry import action
from ivr.shares.models import Share
from ivr.calls.twiml import slow_digits

STEP, REF_STEP, PIN_STEP, CONFIRM_STEP = "my_shares", "my_shares_ref", "my_shares_pin", "my_share_confirm"
WITHDRAW, DELETE, NEXT, BACK, CRISIS = "1", "2", "6", "#", "0"
DOOR = unlock.Door(REF_STEP, PIN_STEP, "my_shares_ref", "my_shares_ref_invalid", "my_shares_pin", "my_shares_no_match",
                   back="options")
STATUS_WORDS = {
    "received": "waiting", "processing": "waiting", "queued": "waiting", "needs_listening": "waiting",
    "failed": "failed", "empty": "empty", "published": "published", "kept_private": "kept_private",
    "rejected": "rejected", "withdrawn": "withdrawn",
}


@action("my_shares")
def my_shares(ctx, step, response):
    """Start with the caller's newest share, or ask for a reference when caller ID is withheld."""
    if ctx.caller is None:
        unlock.ask_reference(ctx, response, DOOR)
        return None
    mine = _mine(ctx)
    if not mine:
        ctx.voice.speak(response, "my_shares_none")
        return "options"
    _describe(ctx, response, mine[0], position=1, total=len(mine))
    return None


@my_shares.on_input
def my_share_key(ctx, step, response):
    """1 withdraw (not a withdrawn share), 2 delete (each confirmed), 6 next share, # back to options, * again, 0 crisis."""
    key = keypad.pressed(ctx)[:1]
    if key == CRISIS:
        return "crisis"
    if key == BACK:
        keypad.chose(ctx)
        return "options"
    share = _allowed(ctx, keypad.arg_id("s"))
    if share is None:
        return "options"
    if key in (WITHDRAW, DELETE) and not (key == WITHDRAW and share.status == "withdrawn"):
        keypad.chose(ctx)
        _confirm(ctx, response, share, "withdraw" if key == WITHDRAW else "delete")
        return None
    if key == NEXT and ctx.caller is not None:
        keypad.chose(ctx)
        mine = _mine(ctx)
        ids = [s.id for s in mine]
        index = ids.index(share.id) + 1 if share.id in ids else 0
        if index >= len(mine):
            ctx.voice.speak(response, "my_shares_no_more")
            return "options"
        _describe(ctx, response, mine[index], position=index + 1, total=len(mine))
        return None
    if key == "*":
        _describe(ctx, response, share)
        return None
    keypad.miss(ctx, step, response, "invalid" if key else "no_input", lambda r: _describe(ctx, r, share))
    return None


@action("my_share_confirm")
def my_share_confirm(ctx, step, response):
    """Entered without a share: back to options."""
    return "options"


@my_share_confirm.on_input
def my_share_confirmed(ctx, step, response):
    """1 confirms the withdrawal or deletion; * repeats; anything else keeps the share as it is."""
    key = keypad.pressed(ctx)[:1]
    if key == CRISIS:
        return "crisis"
    share = _allowed(ctx, keypad.arg_id("s"))
    what = "delete" if keypad.arg_id("a") == 2 else "withdraw"
    keypad.chose(ctx)
    if share is None:
        return "options"
    if key == "*":
        _confirm(ctx, response, share, what)
        return None
    if key != "1":
        ctx.voice.speak(response, "my_share_unchanged")
        return "options"
    if what == "delete":
        shares.delete(share.id, actor="caller")
        ctx.voice.speak(response, "my_share_deleted")
    else:
        shares.withdraw(share.id, actor="caller")
        ctx.voice.speak(response, "my_share_withdrawn")
    ctx.log(step.name, what)
    return "options"


def _open(share: Share) -> bool:
    return share.status not in ("discarded", "deleted")


def _describe(ctx, response, share: Share, position: int | None = None, total: int | None = None) -> None:
    g = keypad.gather(ctx, response, STEP, s=share.id)
    if position and total:
        ctx.voice.speak(g, "my_shares_count", position=position, total=total)
    ctx.voice.speak(g, "my_share_reference", reference=slow_digits(share.reference))
    status = STATUS_WORDS.get(share.status, "waiting")
    if share.is_reply and status in ("published", "kept_private"):
        status = f"reply_{status}"  # a reply is passed on, not kept: say where it went
    ctx.voice.speak(g, f"share_status_{status}")
    ids = [s.id for s in _mine(ctx)]
    has_next = share.id in ids and ids.index(share.id) + 1 < len(ids)
    # A withdrawn share can only be deleted: it is not offered for withdrawal again.
    choices = "my_share_choices_withdrawn" if share.status == "withdrawn" else "my_share_choices"
    ctx.voice.speak(g, choices if has_next else f"{choices}_one")


def _confirm(ctx, response, share: Share, what: str) -> None:
    g = keypad.gather(ctx, response, CONFIRM_STEP, s=share.id, a=2 if what == "delete" else 1)
    ctx.voice.speak(g, f"my_share_confirm_{what}")


def _mine(ctx) -> list[Share]:
    return shares.for_caller(ctx.caller.id) if ctx.caller is not None else []


def _allowed(ctx, share_id: int | None) -> Share | None:
    """The share if this call may act on it: the caller's own, or unlocked by PIN in this call."""
    share = shares.get(share_id) if share_id else None
    if share is None or share.status in ("discarded", "deleted"):
        return None
    if ctx.caller is not None and share.caller_id == ctx.caller.id:
        return share
    return share if unlock.unlocked(ctx, DOOR, share.id) else None


unlock.register(DOOR, _open, _describe)
