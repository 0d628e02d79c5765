"""Factories for stories: espeak-ng audio, topics and stories, returning callers."""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from ivr.stories import domain as stories
from ivr.calls.callers import number_hash
from ivr.extensions import db
from ivr.calls.models import Caller
from ivr.stories.models import Topic
from tests.shares.factories import speech_wav

NUMBER = "+15557654321"


@functools.lru_cache(maxsize=None)
def spoken_wav(text: str, directory: str = "/tmp/peerline-test-voices") -> Path:
    """A WAV of espeak-ng speaking `text` (made once per text and kept)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (str(abs(hash(text)) % 10**12) + ".wav")
    if not path.exists():
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True, capture_output=True)
    return path


def add_topic(slug="grief", key="2", en="grief and loss", es="duelo y pérdida"):
    """A topic with names in both languages."""
    return stories.ensure_topic(slug, key, {"en": en, "es": es})


def add_story(topic, title, *, language="en", seconds=130, note=None, text=None):
    """A published story whose audio is real speech."""
    audio = spoken_wav(text or title).read_bytes()
    return stories.add_story(topic, title, language, audio, seconds, content_note=note)


def returning_caller(app, number=NUMBER, language="en"):
    """A caller who has chosen a language and heard the how-to; returns its id."""
    with app.app_context():
        caller = Caller(number_hash=number_hash(number, app.config["CALLER_HASH_KEY"]),
                        language=language, heard_howto=True)
        db.session.add(caller)
        db.session.commit()
        return caller.id


def make_topic(app, slug: str = "hope", key: str = "1") -> int:
    """A story topic, via ivr.stories."""
    with app.app_context():
        topic = stories.ensure_topic(slug, key, {"en": slug, "es": slug})
        db.session.commit()
        return topic.id


def make_story(app, title: str = "A story of hope", topic_id: int | None = None) -> int:
    """A published story with real audio, via ivr.stories."""
    with app.app_context():
        topic = db.session.get(Topic, topic_id or make_topic(app, "stories-topic", "2"))
        story = stories.add_story(topic, title, "en", speech_wav("a short story"), 2)
        db.session.commit()
        return story.id
