"""`peerline seed --demo`: topics and stories with real espeak-ng audio; seeding twice adds nothing."""
import wave
from io import BytesIO

from sqlalchemy import select

from ivr.stories import domain as stories
from ivr.stories.seed import STORIES, TOPICS
from ivr.extensions import db
from ivr.stories.models import Story, Topic
from ivr.storage import storage


def test_seed_demo_loads_hearable_stories_once(runner, app, client):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert f"{len(STORIES)} new stories" in result.output
    assert f"Speaking demo stories: {len(STORIES)} of {len(STORIES)}" in result.output  # plain lines off a terminal
    with app.app_context():
        topics = db.session.execute(select(Topic)).scalars().all()
        assert sorted(t.key for t in topics) == sorted(k for _, k, _ in TOPICS)
        assert all(t.names.get("en") and t.names.get("es") for t in topics)
        rows = db.session.execute(select(Story)).scalars().all()
        assert len(rows) == len(STORIES) and all(s.is_published for s in rows)
        assert {s.language for s in rows} == {"en", "es"}
        assert any(s.content_note for s in rows)
        story = rows[0]
        with wave.open(BytesIO(storage().get(story.audio_key))) as w:
            seconds = w.getnframes() / w.getframerate()
            assert w.getframerate() == 8000 and w.getnchannels() == 1
        assert 5 < seconds < 60 and abs(seconds - story.duration_s) <= 1
        path = stories.audio_path(story)
    assert client.get(path).status_code == 200
    again = runner.invoke(args=["seed", "--demo"])
    assert again.exit_code == 0 and "0 new stories" in again.output
    with app.app_context():
        assert db.session.execute(select(db.func.count(Story.id))).scalar_one() == len(STORIES)


def test_seed_needs_a_flag(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code != 0 and "--demo" in result.output


def test_a_scripted_call_hears_a_demo_story(runner, app):
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    result = runner.invoke(args=["call", "--script", "1,1,1,2,6,hangup"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "For grief and loss, press 2." in out
    assert "A story about the first holiday alone. Less than a minute." in out  # newest grief story
    assert "[play " in out and "/audio/stories/" in out and " s)]" in out  # fetched and measured
    assert "it talks about the death of someone close" in out  # the next one has a content note
