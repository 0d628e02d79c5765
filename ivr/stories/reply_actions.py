"""Actions for replies in the story player: offer a reply (7), choose who may hear it, hear replies (8).

The recording itself is the share path's (ivr/shares/actions.py): the attempt is a ShareDraft
marked with the story it answers. The story and reply travel as opaque ids in the query string
(s = story, r = reply); every handler looks them up again, so a story unpublished or closed to
replies meanwhile is never replied to or played.
"""
from __future__ import annotations

from ivr.stories import replies
from ivr.stories import domain as stories
from ivr.shares import drafts
from ivr.calls import keypad
from ivr.calls.registry import action
from ivr.stories.player_keys import after_story

CONSENT_STEP, PLAY_STEP = "reply_consent", "reply_play"
ONLY_STORYTELLER, ALSO_LISTENERS = "1", "2"
PREVIOUS, AGAIN, NEXT, BACK, REPEAT, CRISIS = "4", "5", "6", "#", "*", "0"
#: Who may hear a reply, by key, as a share's consent ("private" reaches the storyteller only).
CONSENT_BY_KEY = {ONLY_STORYTELLER: "private", ALSO_LISTENERS: "library"}


def speak_offer(ctx, parent, story) -> None:
    """After a story: the reply key (when the storyteller allows replies) and how many replies to hear."""
    if not replies.open_for_replies(story):
        return
    count = len(replies.published(story))
    # One breath: 7, then 8 with the count when there are replies, and the crisis key (STYLE.md).
    if count == 0:
        ctx.voice.speak(parent, "story_reply_offer")
    elif count == 1:
        ctx.voice.speak(parent, "story_replies_one")
    else:
        ctx.voice.speak(parent, "story_replies_many", count=count)


def offer_reply(ctx, response, story):
    """Key 7 in the story player: ask who may hear the reply (or say replies are off)."""
    if not replies.open_for_replies(story):
        ctx.voice.speak(response, "story_replies_closed")
        _back_to_story(ctx, response, story)
        return None
    _ask_consent(ctx, response, story)
    return None


def _ask_consent(ctx, response, story, simple: bool = False) -> None:
    g = keypad.gather(ctx, response, CONSENT_STEP, s=story.id, h=_helped())
    ctx.voice.speak(g, "reply_consent_simple" if simple else "reply_consent")


@action("reply_consent")
def reply_consent(ctx, step, response):
    """Entered without a story (e.g. back from the crisis line): return to the topics."""
    return "stories"


@reply_consent.on_input
def reply_consent_chosen(ctx, step, response):
    """1 the storyteller only, 2 other listeners too: open the attempt, then the voice question."""
    key, story = _key_and_story(ctx)
    if key == CRISIS or story is None:
        return "crisis" if key == CRISIS else "stories"
    if key == BACK:
        keypad.chose(ctx)
        _back_to_story(ctx, response, story)
        return None
    if key == REPEAT:
        _ask_consent(ctx, response, story)
        return None
    if key not in CONSENT_BY_KEY:
        keypad.miss(ctx, step, response, "invalid" if key else "no_input",
                    lambda r: _ask_consent(ctx, r, story, simple=True))
        return None
    keypad.chose(ctx)
    if not replies.open_for_replies(story):
        return offer_reply(ctx, response, story)
    drafts.start_draft(ctx.call, consent=CONSENT_BY_KEY[key], reply_to_story_id=story.id)
    return "reply_disguise"


# --- hearing replies (key 8) --------------------------------------------------------------------

def start_replies(ctx, response, story):
    """Key 8 in the story player: the published replies, newest first."""
    found = replies.published(story)
    if not found:
        ctx.voice.speak(response, "replies_none")
        _back_to_story(ctx, response, story)
        return None
    ctx.voice.speak(response, "replies_intro")
    _play(ctx, response, story, found, 0)
    return None


def _play(ctx, response, story, found, index: int) -> None:
    play_reply(ctx, response, PLAY_STEP, found, index, "reply_keys", s=story.id, h=_helped())


def play_reply(ctx, response, step_name: str, found, index: int, keys_prompt: str, **ids) -> None:
    """Reply `index` of `found` in a one-key gather (any key interrupts it), then its keys."""
    reply = found[index]
    g = keypad.gather(ctx, response, step_name, timeout=4, r=reply.id, **ids)
    ctx.voice.speak(g, "reply_position", position=index + 1, total=len(found))
    g.play(ctx.url(replies.audio_path(reply)))
    ctx.voice.speak(g, keys_prompt)


@action("reply_play")
def reply_play(ctx, step, response):
    """Entered without a story: return to the topics."""
    return "stories"


@reply_play.on_input
def reply_key(ctx, step, response):
    """6 (or waiting) next reply, 4 previous, 5 again, # back to the story, * the keys again, 0 crisis."""
    key, story = _key_and_story(ctx)
    if key == CRISIS or story is None:
        return "crisis" if key == CRISIS else "stories"
    found = replies.published(story)
    ids = [r.id for r in found]
    reply_id = keypad.arg_id("r")
    here = ids.index(reply_id) if reply_id in ids else None
    if key == BACK or not found:
        keypad.chose(ctx)
        _back_to_story(ctx, response, story)
        return None
    if key == REPEAT:
        g = keypad.gather(ctx, response, PLAY_STEP, s=story.id, r=reply_id, h=_helped())
        ctx.voice.speak(g, "reply_keys")
        return None
    if key in (AGAIN, PREVIOUS, NEXT, ""):
        if key:
            keypad.chose(ctx)
        if here is None:  # that reply was taken down meanwhile: start again from the newest
            index = 0
        else:
            index = {AGAIN: here, PREVIOUS: max(here - 1, 0)}.get(key, here + 1)
        if index >= len(found):
            ctx.voice.speak(response, "replies_end")
            _back_to_story(ctx, response, story)
            return None
        _play(ctx, response, story, found, index)
        return None
    keypad.miss(ctx, step, response, "invalid", lambda r: _keys_again(ctx, r, story, reply_id))
    return None


def _keys_again(ctx, response, story, reply_id) -> None:
    g = keypad.gather(ctx, response, PLAY_STEP, s=story.id, r=reply_id, h=_helped())
    ctx.voice.speak(g, "reply_keys")


def _key_and_story(ctx):
    """The key pressed, and the story in the query string if callers may still hear it."""
    return keypad.pressed(ctx)[:1], stories.published(keypad.arg_id("s") or 0)


def _helped() -> str | None:
    """The player's "this helped me" flag, carried through the replies so it is not counted twice."""
    return "1" if keypad.flag("h") else None


def _back_to_story(ctx, response, story) -> None:
    after_story(ctx, response, story, helped=_helped() is not None)
