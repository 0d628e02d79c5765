"""Golden journeys for replies, in English and Spanish: leaving a reply, hearing replies, and the
storyteller's options. Each call runs through the phone simulator and is compared, line by line,
with a committed transcript under tests/ivr/replies_journeys/ (audio named by kind, reference
numbers masked). PEERLINE_WRITE_JOURNEYS=1 rewrites them; review the diff like any wording change."""
import os
from pathlib import Path

import pytest

from ivr import stories
from ivr.extensions import db
from tests.ivr.replies_support import (
    LISTENER, REPLY_TEXT, STORYTELLER, THIRD, delivered_reply, storyteller_story, to_the_story, transcript,
)
from tests.ivr.stories_support import returning_caller, spoken_wav

GOLDEN = Path(__file__).parent / "replies_journeys"
LANGUAGES = ("en", "es")


@pytest.fixture
def app_config(redis_url):
    """Processing jobs wait on a real Redis queue; nobody works it here."""
    return {"REDIS_URL": redis_url}


def check(name: str, call) -> None:
    """The call's transcript equals the golden one (or becomes it, when asked to rewrite)."""
    got = transcript(call) + "\n"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("PEERLINE_WRITE_JOURNEYS") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got)
    assert got == path.read_text(), f"{name} changed:\n{got}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_journey_reply_to_a_story(phone, app, sim, language):
    storyteller_story(app, language=language)
    returning_caller(app, LISTENER, language=language)
    call = phone(LISTENER)
    to_the_story(call)
    call.press("7")
    call.press("1")  # only for the person who shared
    call.press("2")  # keep my own voice
    call.record(spoken_wav(REPLY_TEXT), finish_key="#")
    call.press("1")  # hear it back
    call.press("2")  # keep
    call.hangup()
    check(f"reply_{language}", call)
    assert not sim.errors


@pytest.mark.parametrize("language", LANGUAGES)
def test_journey_hear_replies(phone, app, sim, language):
    ids = storyteller_story(app, language=language)
    older = delivered_reply(app, ids["story"], language=language, text="Your story made me feel less alone.")
    delivered_reply(app, ids["story"], language=language)
    delivered_reply(app, ids["story"], audience="storyteller", language=language, text="This one is private.")
    with app.app_context():  # the older reply was passed on first
        from ivr.models import Share
        share = db.session.get(Share, older)
        share.decided_at = share.decided_at.replace(year=share.decided_at.year - 1)
        db.session.commit()
    returning_caller(app, THIRD, language=language)
    call = phone(THIRD)
    to_the_story(call)
    call.press("8")
    call.silence()  # the newest reply ends: the next one follows
    call.silence()  # the last one ends: back to the story's keys
    call.press("#")  # topics
    call.hangup()
    check(f"hear_replies_{language}", call)
    assert [e.text.split("/audio/replies/")[1].split("-")[0] for e in call.entries("play")[1:]] == \
        [str(older + 1), str(older)]
    assert not sim.errors


@pytest.mark.parametrize("language", LANGUAGES)
def test_journey_storyteller_hears_what_their_story_did(phone, app, sim, language):
    ids = storyteller_story(app, language=language)
    with app.app_context():
        story = db.session.get(stories.Story, ids["story"])
        story.plays, story.helped = 12, 4
        db.session.commit()
    delivered_reply(app, ids["story"], audience="storyteller", language=language)
    call = phone(STORYTELLER)
    call.press("9")  # options
    call.press("5")  # your story
    call.press("1")  # hear the replies
    call.silence()  # the reply ends
    call.press("2")  # turn replies off
    call.press("#")  # back to options
    call.hangup()
    check(f"storyteller_{language}", call)
    assert not sim.errors
