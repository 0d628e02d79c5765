"""Stories through signed webhooks: topics, newest first, one story per response, the key map,
content notes, anonymous counts and the fingerprinted audio route."""
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from ivr.stories import domain as stories
from ivr.extensions import db
from ivr.calls.models import CallStep
from ivr.stories.models import Story
from tests.stories.factories import NUMBER, add_story, add_topic, returning_caller
from tests.twiml import gather, parse, spoken, without_state

BASE = "https://peerline.test"


def post(twilio, path, sid="CA1", number=NUMBER, **form):
    """One signed webhook of call `sid`."""
    return parse(twilio.post(path, {"CallSid": sid, "From": number, "To": "+15550001111", **form}))


def press(twilio, step, digits, query="", **kw):
    """Press keys at a step's input (query: the ids the gather carried)."""
    return post(twilio, f"/voice/step/{step}/input{query}", Digits=digits, **kw)


def action_of(root):
    """Path and query of the response's gather action."""
    url = urlsplit(without_state(gather(root).get("action")))
    return url.path, "?" + url.query if url.query else ""


def story_of(root):
    """The story id a playback gather carries."""
    return int(parse_qs(urlsplit(gather(root).get("action")).query)["s"][0])


@pytest.fixture
def library(app):
    """Two topics; grief has three English stories (one with a content note) and one Spanish."""
    with app.app_context():
        grief = add_topic()
        add_topic("family", "5", "family", "familia")
        old = add_story(grief, "A story about the first winter", seconds=40)
        noted = add_story(grief, "A story about my mother's garden", seconds=70, note="loss")
        new = add_story(grief, "A story about starting over", seconds=185)
        es = add_story(grief, "Una historia sobre el jardín", language="es", seconds=60)
        # newest first: published times are spread out explicitly
        for i, s in enumerate((old, noted, new, es)):
            s.published_at = s.published_at - timedelta(hours=10 - i)
        db.session.commit()
        ids = {"old": old.id, "noted": noted.id, "new": new.id, "es": es.id, "grief": grief.id}
    returning_caller(app)
    post(twilio_for(app), "/voice/incoming")
    return ids


def twilio_for(app):
    from tests.conftest import SigningClient
    return SigningClient(app)


def test_topics_by_key_in_the_callers_language(twilio, library):
    root = press(twilio, "main_menu", "1")
    said = spoken(root)
    assert "Stories." in said
    assert "For grief and loss, press 2." in said and "For family, press 5." in said
    assert "pound" in said and "press 0" in said
    assert action_of(root) == ("/voice/step/stories/input", "")
    assert gather(root).get("numDigits") == "1"


def test_newest_story_first_with_title_length_and_key_map_once(twilio, app, library):
    root = press(twilio, "stories", "2")
    g = gather(root)
    assert story_of(root) == library["new"]
    said = spoken(g)
    assert "for the next story, press 6. If it helped you, press 3. For topics, press pound. For all the choices, press star" in said
    assert "A story about starting over. 3 minutes." in said
    plays = g.findall("Play")
    with app.app_context():
        story = db.session.get(Story, library["new"])
        assert [p.text for p in plays] == [BASE + stories.audio_path(story)]
        assert story.plays == 1
    assert [child.tag for child in root] == ["Gather"]  # one story per response
    assert g.get("numDigits") == "1" and g.get("finishOnKey") == ""  # so "#" reaches us as a key
    # the next story: the key map is not repeated, and the content note comes first
    root = press(twilio, "story_play", "6", f"?s={library['new']}")
    assert action_of(root)[0] == "/voice/step/story_note/input"
    said = spoken(root)
    assert "it talks about the death of someone close" in said and "To skip this story, press 6" in said
    assert "5 to hear it again" not in said
    assert not list(root.iter("Play"))  # the note comes alone; the story waits for the caller


def test_content_note_skip_and_listen(twilio, app, library):
    noted = f"?s={library['noted']}"
    root = press(twilio, "story_note", "6", noted)
    assert story_of(root) == library["old"]  # skipped to the next (older) story
    assert "the first winter. Less than a minute." in spoken(root)
    root = press(twilio, "story_note", "1", noted)
    assert story_of(root) == library["noted"] and "mother's garden. About one minute." in spoken(root)
    root = press(twilio, "story_note", "4", noted)  # back, as everywhere: the newer story
    assert story_of(root) == library["new"]
    root = press(twilio, "story_note", "", noted)  # waiting also plays it
    assert story_of(root) == library["noted"]
    with app.app_context():
        assert db.session.get(Story, library["noted"]).plays == 2


def test_back_replay_next_topics_options_and_end_of_topic(twilio, app, library):
    old, new = f"?s={library['old']}", f"?s={library['new']}"
    assert story_of(press(twilio, "story_play", "5", new)) == library["new"]
    assert story_of(press(twilio, "story_play", "4", new)) == library["new"]  # back at the first stays
    assert action_of(press(twilio, "story_play", "4", old)) == ("/voice/step/story_note/input", f"?s={library['noted']}")
    root = press(twilio, "story_play", "6", old)  # after the last story: the topics again
    assert "That was the last story on this topic." in spoken(root)
    assert action_of(root)[0] == "/voice/step/stories/input"
    root = press(twilio, "story_play", "", old)  # the story ended and nothing was pressed: same
    assert "last story" in spoken(root)
    assert action_of(press(twilio, "story_play", "#", new))[0] == "/voice/step/stories/input"
    star = press(twilio, "story_play", "*", new)  # star: every choice of the player, not options
    assert action_of(star)[0] == "/voice/step/story_play/input"
    assert "4 for the one before. 5 to hear it again." in spoken(star)
    root = press(twilio, "story_play", "0", new)
    assert root.find("Dial") is not None and "You matter" in spoken(root)


def test_helped_counts_once_and_names_nobody(twilio, app, library):
    new = f"?s={library['new']}"
    root = press(twilio, "story_play", "3", new)
    assert "Thank you for telling us. We are glad it helped." in spoken(root)
    assert action_of(root) == ("/voice/step/story_play/input", f"?s={library['new']}&h=1")
    press(twilio, "story_play", "3", f"{new}&h=1")  # pressing it again in the same place
    with app.app_context():
        story = db.session.get(Story, library["new"])
        assert story.helped == 1
        # nothing a staff member can read ties the call to the story
        outcomes = [f"{s.step} {s.outcome}" for s in db.session.execute(select(CallStep)).scalars()]
        assert not any(str(library["new"]) in o or "story" in (o.split()[1] if " " in o else "") for o in outcomes)
        columns = {c.name for c in Story.__table__.columns}
        assert not columns & {"caller_id", "call_id", "call_sid"}


def test_invalid_keys_reprompt_and_keep_crisis(twilio, library):
    root = press(twilio, "stories", "9")
    assert "not one of the choices" in spoken(root) and "For grief and loss, press 2." in spoken(root)
    root = press(twilio, "stories", "")  # the second miss: start again, never a hang-up
    assert "Let's start again" in spoken(root) and "Hangup" not in [c.tag for c in root]
    root = press(twilio, "story_play", "2", f"?s={library['new']}")
    assert "not one of the choices" in spoken(root) and "Press 6 for the next story" in spoken(root)
    assert "0 for the crisis line" in spoken(root)


def test_spanish_caller_hears_spanish_stories_only(twilio, app, library):
    returning_caller(app, "+15550002222", language="es")
    post(twilio, "/voice/incoming", sid="CA2", number="+15550002222")
    root = press(twilio, "stories", "2", sid="CA2", number="+15550002222")
    assert story_of(root) == library["es"]
    assert "Alrededor de un minuto" in spoken(root)
    assert {s.get("language") for s in root.iter("Say")} == {"es-US"}


def test_empty_topic_says_so(twilio, library):
    root = press(twilio, "stories", "5")
    assert "There are no stories about family yet." in spoken(root)
    assert action_of(root)[0] == "/voice/step/stories/input"


def test_audio_route_serves_only_published_audio_with_long_cache(client, app, library):
    with app.app_context():
        story = db.session.get(Story, library["new"])
        path = stories.audio_path(story)
        wrong = path.replace(stories.fingerprint(story), "0" * 16)
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    assert r.data[:4] == b"RIFF"
    assert "immutable" in r.headers["Cache-Control"] and "max-age=31536000" in r.headers["Cache-Control"]
    assert "public" in r.headers["Cache-Control"]
    assert client.get(path, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    assert client.get(wrong).status_code == 404
    assert client.get("/audio/stories/999999-0000000000000000.wav").status_code == 404
    with app.app_context():
        stories.unpublish(library["new"])
        db.session.commit()
    assert client.get(path).status_code == 404


def test_unpublished_story_leaves_the_playlist(twilio, app, library):
    with app.app_context():
        stories.unpublish(library["new"])
        db.session.commit()
    root = press(twilio, "stories", "2")
    assert action_of(root) == ("/voice/step/story_note/input", f"?s={library['noted']}")


def test_a_story_unpublished_while_playing_restarts_the_topic(twilio, app, library):
    with app.app_context():
        stories.unpublish(library["old"])
        db.session.commit()
    root = press(twilio, "story_play", "5", f"?s={library['old']}")
    assert story_of(root) == library["new"]
    root = press(twilio, "story_play", "", f"?s={library['old']}")  # it ended: the newest again
    assert story_of(root) == library["new"]


def test_time_in_stories_is_counted_per_day_for_all_stories_together(twilio, app, library):
    press(twilio, "stories", "2")  # the newest grief story plays: 185 s
    press(twilio, "story_play", "5", f"?s={library['new']}")  # again: the time counts twice, like the plays
    with app.app_context():
        from ivr.calls.models import CallTally
        rows = db.session.execute(select(CallTally).where(CallTally.event == "story_seconds")).scalars().all()
        assert [(r.n, r.day) for r in rows] == [(370, rows[0].day)]  # one row a day: no story, no call
