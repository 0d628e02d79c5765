"""The story player's keys after a story: shared by the player and the replies it leads to."""
from __future__ import annotations

from ivr.calls import keypad

PLAY_STEP = "story_play"


def after_story(ctx, response, story, helped: bool = False) -> None:
    """The player's keys for a story just heard (back from its replies, for one)."""
    # The three main keys and star only (KEYMAP.md): 7 and 8 are in star's list, and offered after the story.
    g = keypad.gather(ctx, response, PLAY_STEP, s=story.id, h="1" if helped else None)
    ctx.voice.speak(g, "story_keys_short")
