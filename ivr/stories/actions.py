"""Actions for hearing stories: topics by key, one story per response, one key map everywhere.

The caller's place (topic and story) travels in the callback's query string as opaque ids,
and no call step records a topic, a story, a play or a skip: nothing staff can read links a
caller or a call to what they heard (even by the order of plays).
"""
from __future__ import annotations


from ivr.calls import tally as call_tally
from ivr.stories import domain as stories
from ivr.calls import keypad
from ivr.stories import reply_actions
from ivr.calls.registry import action
from ivr.calls.call_state import HEARD_STORY_KEYS
from ivr.stories.player_keys import PLAY_STEP, after_story

# The one playback key map (KEYMAP.md): the three main keys are spoken, star gives them all.
BACK, REPLAY, NEXT, HELPED, TOPICS, ALL_CHOICES, CRISIS = "4", "5", "6", "3", "#", "*", "0"
REPLY, REPLIES = "7", "8"  # leave a reply to the storyteller; hear the replies (ivr/stories/reply_actions.py)
TOPICS_AT_ONCE = 3  # topics spoken at once; star speaks the next ones (at most four choices a breath)
NOTE_STEP = "story_note"
TOPICS_STEP = "stories"


@action("stories_topics")
def stories_topics(ctx, step, response):
    """Offer the topics that have a name in the caller's language, by key."""
    _topics_menu(ctx, response)
    return None


def _topics_menu(ctx, response, reprompt: bool = False, page: int = 0) -> None:
    voice = ctx.voice
    topics = stories.topics(ctx.language)
    pages = max(1, -(-len(topics) // TOPICS_AT_ONCE))
    page = page % pages
    g = keypad.gather(ctx, response, TOPICS_STEP, p=page or None)
    if not reprompt and page == 0:
        voice.speak(g, "stories_intro")
    if not topics:
        voice.speak(g, "stories_no_topics")
    for topic in topics[page * TOPICS_AT_ONCE:(page + 1) * TOPICS_AT_ONCE]:
        voice.speak(g, "stories_topic_item", name=topic.names[ctx.language], key=topic.key)
    voice.speak(g, "stories_topics_more" if page + 1 < pages else "stories_topics_end")


@stories_topics.on_input
def stories_topic_chosen(ctx, step, response):
    """A topic key starts its newest story; star speaks the next topics; # goes back to the main menu."""
    key = keypad.pressed(ctx)[:1]
    page = keypad.arg_id("p") or 0
    if key == CRISIS:
        return "crisis"
    if key == TOPICS:
        keypad.chose(ctx)
        return "main_menu"
    if key == ALL_CHOICES:
        _topics_menu(ctx, response, reprompt=True, page=page + 1)
        return None
    topic = stories.topic_by_key(key) if key else None
    if topic is None or not topic.names.get(ctx.language):
        keypad.miss(ctx, step, response, "invalid" if key else "no_input",
                    lambda r: _topics_menu(ctx, r, reprompt=True, page=page))
        return None
    keypad.chose(ctx)
    playlist = stories.playlist(topic.id, ctx.language)
    if not playlist:
        ctx.voice.speak(response, "stories_topic_empty", name=topic.names[ctx.language])
        _topics_menu(ctx, response, reprompt=True)
        return None
    _introduce(ctx, response, playlist[0])
    return None


@action("story_play")
def story_play(ctx, step, response):
    """Entered without a story (e.g. back from the crisis line): return to the topics."""
    return TOPICS_STEP


@story_play.on_input
def story_key(ctx, step, response):
    """A key pressed during or after a story (or nothing: the next story follows)."""
    story_id, helped_already = keypad.arg_id("s"), keypad.flag("h")
    key = keypad.pressed(ctx)[:1]
    if key == CRISIS:
        return "crisis"
    if key == TOPICS:
        keypad.chose(ctx)
        return TOPICS_STEP
    story = stories.get(story_id)
    if story is None:
        return TOPICS_STEP
    playlist = stories.playlist(story.topic_id, story.language)
    ids = [s.id for s in playlist]
    here = ids.index(story.id) if story.id in ids else None
    if key == ALL_CHOICES:
        g = keypad.gather(ctx, response, PLAY_STEP, s=story.id, h="1" if helped_already else None)
        ctx.voice.speak(g, "story_keys_all")
        return None
    if key == HELPED:
        keypad.chose(ctx)
        if not helped_already:
            # Once per caller per story (once per call when caller ID is withheld); the caller
            # hears the same thanks either way, so a shared phone reveals nothing.
            who = f"caller:{ctx.caller.number_hash}" if ctx.caller is not None else f"call:{ctx.call.call_sid}"
            stories.count_helped(story.id, stories.helped_marker(story.id, who, ctx.config["CALLER_HASH_KEY"]))
        ctx.voice.speak(response, "story_helped_thanks")
        after_story(ctx, response, story, helped=True)
        return None
    if key == REPLY:
        keypad.chose(ctx)
        return reply_actions.offer_reply(ctx, response, story)
    if key == REPLIES:
        keypad.chose(ctx)
        return reply_actions.start_replies(ctx, response, story)
    if here is None and key:  # unpublished while it played: start the topic again
        return _go(ctx, response, playlist, 0)
    if key == REPLAY:
        keypad.chose(ctx)
        _play(ctx, response, playlist[here])
        return None
    if key == BACK:
        keypad.chose(ctx)
        return _go(ctx, response, playlist, max(here - 1, 0))
    if key in (NEXT, ""):
        if key:
            keypad.chose(ctx)
        return _go(ctx, response, playlist, (here + 1) if here is not None else 0)
    keypad.miss(ctx, step, response, "invalid", lambda r: after_story(ctx, r, story, helped=helped_already))
    return None


@action("story_note")
def story_note(ctx, step, response):
    """Entered without a story: back to the topics."""
    return TOPICS_STEP


@story_note.on_input
def story_note_key(ctx, step, response):
    """After a content note: the skip key moves on, anything else (or waiting) plays the story."""
    story = stories.published(keypad.arg_id("s") or 0)
    key = keypad.pressed(ctx)[:1]
    if key == CRISIS:
        return "crisis"
    if key == TOPICS:
        return TOPICS_STEP
    if story is None:
        return TOPICS_STEP
    if key == ALL_CHOICES:
        g = keypad.gather(ctx, response, NOTE_STEP, timeout=4, s=story.id)
        ctx.voice.speak(g, "story_note_choice")
        return None
    keypad.chose(ctx)
    if key in (NEXT, BACK):
        playlist = stories.playlist(story.topic_id, story.language)
        ids = [s.id for s in playlist]
        here = ids.index(story.id) if story.id in ids else 0
        return _go(ctx, response, playlist, here + 1 if key == NEXT else max(here - 1, 0))
    _play(ctx, response, story)
    return None


def _go(ctx, response, playlist, index: int):
    if index < 0:
        index = 0
    if index >= len(playlist):
        ctx.voice.speak(response, "stories_topic_end")
        return TOPICS_STEP
    _introduce(ctx, response, playlist[index])
    return None


def _introduce(ctx, response, story) -> None:
    """The key map (first story of the call only), then a content note or the story itself."""
    if story.content_note:
        g = keypad.gather(ctx, response, NOTE_STEP, timeout=4, s=story.id)
        _key_map_once(ctx, g)
        ctx.voice.speak(g, f"content_note_{story.content_note}")
        ctx.voice.speak(g, "story_note_choice")
        return
    _play(ctx, response, story)


def _play(ctx, response, story) -> None:
    """One story inside a one-key gather, so any key interrupts it."""
    g = keypad.gather(ctx, response, PLAY_STEP, timeout=4, s=story.id)
    _key_map_once(ctx, g)
    ctx.voice.speak(g, "story_title", title=story.title, length=_length(ctx, story.duration_s))
    g.play(ctx.url(stories.audio_path(story)))
    reply_actions.speak_offer(ctx, g, story)  # 7 reply, 8 replies: one breath with the crisis key
    stories.count_play(story.id)
    call_tally.count(call_tally.STORY_SECONDS, by=story.duration_s or 0)  # time in stories, by day only


def _key_map_once(ctx, parent) -> None:
    if HEARD_STORY_KEYS not in ctx.call.flags:
        ctx.voice.speak(parent, "story_keys")
        ctx.call.flags.add(HEARD_STORY_KEYS)


def _length(ctx, seconds: int) -> str:
    seconds = seconds or 0
    minutes = max(1, round(seconds / 60))
    if seconds < 45:
        return ctx.flows.prompts.text("story_length_short", ctx.language)
    if minutes == 1:
        return ctx.flows.prompts.text("story_length_one", ctx.language)
    return ctx.flows.prompts.text("story_length_minutes", ctx.language, minutes=minutes)
