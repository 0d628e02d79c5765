"""Actions for a storyteller (options, key 5): how their story did, the replies left for them, replies on/off.

A known caller is matched by caller ID (the caller's HMAC row); a caller whose number is
withheld gives the reference number of the share that became the story and its PIN. Nothing
here says who played, helped or replied: counts are plain numbers, replies are moderated audio.
Which story (t) and reply (r) is meant travels as an opaque id; every handler checks again
that this call may hear it.
"""
from __future__ import annotations

from ivr.stories import replies
from ivr.shares import domain as shares
from ivr.stories import domain as stories
from ivr.calls import keypad
from ivr.shares import unlock
from ivr.stories.reply_actions import play_reply
from ivr.calls.registry import action
from ivr.stories.models import Story

STEP, REF_STEP, PIN_STEP, REPLY_STEP = "my_stories", "my_stories_ref", "my_stories_pin", "my_story_reply"
HEAR, TOGGLE, AGAIN, NEXT, BACK, REPEAT, CRISIS = "1", "2", "5", "6", "#", "*", "0"
DOOR = unlock.Door(REF_STEP, PIN_STEP, "my_stories_ref", "my_stories_ref_invalid", "my_stories_pin",
                   "my_stories_no_match", back="options")


@action("my_stories")
def my_stories(ctx, step, response):
    """Start with the caller's newest story, or ask for a reference when caller ID is withheld."""
    if ctx.caller is None:
        unlock.ask_reference(ctx, response, DOOR)
        return None
    mine = replies.stories_of_caller(ctx.caller.id)
    if not mine:
        ctx.voice.speak(response, "my_stories_none")
        return "options"
    _summary(ctx, response, mine[0])
    return None


@my_stories.on_input
def my_story_key(ctx, step, response):
    """1 hear the replies, 2 replies off (or on), 6 next story, # back to options, * again, 0 crisis."""
    key = keypad.pressed(ctx)[:1]
    if key == CRISIS:
        return "crisis"
    if key == BACK:
        keypad.chose(ctx)
        return "options"
    story = _allowed(ctx, keypad.arg_id("t"))
    if story is None:
        return "options"
    if key == REPEAT:
        _summary(ctx, response, story)
        return None
    if key == HEAR and replies.for_storyteller(story):
        keypad.chose(ctx)
        _play(ctx, response, story, 0)
        return None
    if key == TOGGLE:
        keypad.chose(ctx)
        replies.set_open(story.id, not story.replies_open)
        ctx.log(step.name, "replies_on" if story.replies_open else "replies_off")
        ctx.voice.speak(response, "my_story_now_on" if story.replies_open else "my_story_now_off")
        _summary(ctx, response, story, counts=False)
        return None
    if key == NEXT and _next_story(ctx, story) is not None:
        keypad.chose(ctx)
        _summary(ctx, response, _next_story(ctx, story))
        return None
    keypad.miss(ctx, step, response, "invalid" if key else "no_input",
                lambda r: _summary(ctx, r, story, counts=False))
    return None


def _has_story(share) -> bool:
    return bool(replies.stories_of_share(share))


# --- replies left for the storyteller -----------------------------------------------------------

@action("my_story_reply")
def my_story_reply(ctx, step, response):
    """Entered without a story: back to options."""
    return "options"


@my_story_reply.on_input
def my_story_reply_key(ctx, step, response):
    """6 (or waiting) next reply, 5 again, # back to the story, * the keys again, 0 crisis."""
    key = keypad.pressed(ctx)[:1]
    if key == CRISIS:
        return "crisis"
    story = _allowed(ctx, keypad.arg_id("t"))
    if story is None:
        return "options"
    found = replies.for_storyteller(story)
    ids = [r.id for r in found]
    reply_id = keypad.arg_id("r")
    here = ids.index(reply_id) if reply_id in ids else None
    if key == BACK or not found:
        keypad.chose(ctx)
        _summary(ctx, response, story, counts=False)
        return None
    if key == REPEAT:
        _reply_keys(ctx, response, story, reply_id)
        return None
    if key in (AGAIN, NEXT, ""):
        if key:
            keypad.chose(ctx)
        index = 0 if here is None else (here if key == AGAIN else here + 1)
        if index >= len(found):
            ctx.voice.speak(response, "replies_end")
            _summary(ctx, response, story, counts=False)
            return None
        _play(ctx, response, story, index)
        return None
    keypad.miss(ctx, step, response, "invalid", lambda r: _reply_keys(ctx, r, story, reply_id))
    return None


def _play(ctx, response, story: Story, index: int) -> None:
    play_reply(ctx, response, REPLY_STEP, replies.for_storyteller(story), index, "my_reply_keys", t=story.id)


def _reply_keys(ctx, response, story: Story, reply_id) -> None:
    g = keypad.gather(ctx, response, REPLY_STEP, t=story.id, r=reply_id)
    ctx.voice.speak(g, "my_reply_keys")


# --- helpers ------------------------------------------------------------------------------------

def _summary(ctx, response, story: Story, counts: bool = True) -> None:
    """The story's title and counts, how many replies wait, then at most four choices and 0."""
    voice = ctx.voice
    g = keypad.gather(ctx, response, STEP, t=story.id)
    waiting = replies.count_for_storyteller(story)
    if counts:
        voice.speak(g, "my_story_title", title=story.title)
        voice.speak(g, _counted("my_story_plays", story.plays or 0), count=story.plays or 0)
        if story.helped:
            voice.speak(g, _counted("my_story_helped", story.helped), count=story.helped)
        voice.speak(g, _counted("my_story_replies", waiting), count=waiting)
        if not story.replies_open:
            voice.speak(g, "my_story_replies_are_off")
    if waiting:
        voice.speak(g, "my_story_hear")
    voice.speak(g, "my_story_turn_off" if story.replies_open else "my_story_turn_on")
    if _next_story(ctx, story) is not None:
        voice.speak(g, "my_story_next")
    voice.speak(g, "my_story_back")


def _counted(prefix: str, count: int) -> str:
    """The prompt id for none, one or many of something."""
    if count <= 0:
        return f"{prefix}_none"
    return f"{prefix}_one" if count == 1 else f"{prefix}_many"


def _next_story(ctx, story: Story) -> Story | None:
    if ctx.caller is None:
        return None
    mine = replies.stories_of_caller(ctx.caller.id)
    ids = [s.id for s in mine]
    if story.id not in ids or ids.index(story.id) + 1 >= len(mine):
        return None
    return mine[ids.index(story.id) + 1]


def _allowed(ctx, story_id: int | None) -> Story | None:
    """The story if this call may hear about it: made from the caller's share, or unlocked by PIN."""
    story = stories.get(story_id)
    if story is None or not story.audio_key or story.share_id is None:
        return None
    share = shares.get(story.share_id)
    if share is None or share.is_reply:
        return None
    if ctx.caller is not None and share.caller_id == ctx.caller.id:
        return story
    return story if unlock.unlocked(ctx, DOOR, share.id) else None


def _opened(ctx, response, share) -> None:
    _summary(ctx, response, replies.stories_of_share(share)[0])


unlock.register(DOOR, _has_story, _opened)
