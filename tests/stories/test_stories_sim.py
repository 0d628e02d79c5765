"""Whole calls through the phone simulator: listen, skip a content-noted story, "this helped me".
The database is checked after each scenario."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.extensions import db
from ivr.calls.models import CallStep, CallTally
from ivr.stories.models import Story
from tests.stories.factories import NUMBER, add_story, add_topic, returning_caller


@pytest.fixture
def library(app):
    """Grief: an old plain story, then a newer one with a content note (newest first)."""
    with app.app_context():
        grief = add_topic()
        plain = add_story(grief, "A story about the first winter", seconds=8,
                          text="The first winter without her was long, but spring came.")
        noted = add_story(grief, "A story about my mother's garden", seconds=9, note="loss",
                          text="I planted her tulips and cried, and it felt like she was there.")
        plain.published_at -= timedelta(hours=1)
        db.session.commit()
        ids = {"plain": plain.id, "noted": noted.id}
    returning_caller(app)
    return ids


def counts(app, story_id):
    """(plays, helped) of a story."""
    with app.app_context():
        story = db.session.get(Story, story_id)
        return story.plays, story.helped


def test_listen_to_a_story_to_the_end(phone, app, library, sim):
    call = phone(NUMBER)
    call.press("1")  # stories
    assert "For grief and loss, press 2." in call.heard()
    call.press("2")
    mark = call.mark()
    call.press("1")  # hear the content-noted story
    plays = call.entries("play")
    assert plays and plays[-1].attrs.get("seconds", 0) > 1  # the simulator fetched real audio
    assert "A story about my mother's garden. Less than a minute." in call.since(mark)
    call.silence()  # the story ends, nothing pressed: the next one follows
    assert "the first winter" in call.heard()
    call.silence()
    assert "That was the last story on this topic." in call.heard()
    assert counts(app, library["noted"]) == (1, 0) and counts(app, library["plain"]) == (1, 0)
    call.hangup()
    assert call.status == "completed" and not sim.errors


def test_skip_a_content_noted_story(phone, app, library):
    call = phone(NUMBER)
    call.press("1")
    call.press("2")
    assert "it talks about the death of someone close" in call.heard()
    call.press("6", barge_in=True)  # skip, interrupting the note
    assert "the first winter" in call.heard()
    assert counts(app, library["noted"]) == (0, 0)  # never played
    assert counts(app, library["plain"]) == (1, 0)
    with app.app_context():
        steps = {(r.step, r.outcome) for r in db.session.execute(select(CallStep)).scalars()}
        assert ("story_note", "skipped") not in steps  # a skip would point at the noted story


def test_this_helped_me_interrupts_and_is_anonymous(phone, app, library):
    call = phone(NUMBER)
    call.press("1")
    call.press("2")
    call.press("1")  # play the noted story
    call.press("3", barge_in=True)  # "this helped me", during the story
    assert "Thank you for telling us. We are glad it helped." in call.heard()
    call.press("3")  # again at the same story: still one
    call.press("5")  # replay
    assert counts(app, library["noted"]) == (2, 1)
    call.press("#")
    call.press("#")  # topics -> main menu
    assert "To hear stories from other people" in call.heard().split("helped")[-1]
    with app.app_context():
        # the reports learn that one call visited the stories, never which topic or story, nor how many plays
        tallies = {t.event: t.n for t in db.session.execute(select(CallTally)).scalars()}
        assert set(tallies) == {"stories", "story_seconds"} and tallies["stories"] == 1  # no topic, no story
        assert db.session.execute(select(CallStep)).first() is None



def _helped_at_the_noted_story(call, *, new_caller=False):
    """Stories, grief, play the noted story, press 3 while it plays; returns what followed."""
    if new_caller:
        call.press("1")  # English
        call.press("5")  # skip the tip
    call.press("1")
    call.press("2")
    call.press("1")  # play the noted story
    mark = call.mark()
    call.press("3", barge_in=True)
    return call.since(mark)


def test_this_helped_me_counts_once_per_caller_per_story_across_calls(phone, app, library):
    first = phone(NUMBER)
    thanks = _helped_at_the_noted_story(first)
    first.press("5")  # replay: a fresh player, no "already counted" flag in its URL
    first.press("3", barge_in=True)
    first.hangup()
    assert counts(app, library["noted"])[1] == 1
    again = phone(NUMBER)  # the same caller, another day
    assert _helped_at_the_noted_story(again) == thanks  # the same kind words, nothing revealed
    again.hangup()
    assert counts(app, library["noted"])[1] == 1
    returning_caller(app, number="+15550188888")
    other = phone("+15550188888")
    _helped_at_the_noted_story(other)
    other.hangup()
    assert counts(app, library["noted"])[1] == 2  # another caller counts


def test_withheld_caller_id_counts_once_per_call(phone, app, library):
    for n in range(2):
        call = phone("anonymous")
        _helped_at_the_noted_story(call, new_caller=True)
        call.press("5")
        call.press("3", barge_in=True)  # again in the same call: still one
        call.hangup()
        assert counts(app, library["noted"])[1] == n + 1


def test_helped_markers_cannot_be_matched_to_callers_or_calls(phone, app, library):
    call = phone(NUMBER)
    _helped_at_the_noted_story(call)
    call.hangup()
    with app.app_context():
        from ivr.calls.models import Call, Caller
        from ivr.stories.models import StoryHelpedMark
        marks = db.session.execute(select(StoryHelpedMark)).scalars().all()
        assert [m.story_id for m in marks] == [library["noted"]]
        known = {c.number_hash for c in db.session.execute(select(Caller)).scalars()}
        known |= {c.call_sid for c in db.session.execute(select(Call)).scalars()}
        assert len(marks[0].marker) == 64 and not any(k and k in marks[0].marker for k in known)
        assert {c.name for c in StoryHelpedMark.__table__.columns} == {"story_id", "marker"}  # no time, no id
