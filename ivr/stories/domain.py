"""Stories and topics: the only place a story changes state (publish, unpublish, retitle, tag, counts).

Counts (plays, "this helped me") are plain numbers on the story. "This helped me" counts once per
caller per story: a keyed marker (an HMAC no one can match to a caller without the server key, with
no time on it) remembers that it was counted; no row anywhere ties a count to a caller or a call.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import abort
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ivr.extensions import db
from ivr.shares.domain import share_purged, share_withdrawn
from ivr.shares.models import Share
from ivr.stories.models import Story, StoryHelpedMark, Topic
from ivr.models.base import utcnow
from ivr.storage import storage
from ivr.stories import replies

#: Content notes a moderator can tag; each has a prompt `content_note_<tag>` in every language.
CONTENT_NOTES = ("self_harm", "suicide", "abuse", "substance_use", "violence", "loss")
#: Audio types Twilio's <Play> accepts, and the extension each is served with.
AUDIO_TYPES = {"audio/wav": ".wav", "audio/x-wav": ".wav", "audio/mpeg": ".mp3"}


class StoryError(ValueError):
    """Raised for a story change that cannot be made."""


# --- topics -----------------------------------------------------------------------------------

def topics(language: str | None = None) -> list[Topic]:
    """Active topics in key order (those with a name in `language`, when given)."""
    rows = db.session.execute(
        select(Topic).filter_by(active=True).order_by(Topic.position, Topic.key)
    ).scalars()
    return [t for t in rows if language is None or t.names.get(language)]


def find_topic(topic_id: int | None) -> Topic | None:
    """The topic with this id (active or not), if any."""
    return db.session.get(Topic, topic_id) if topic_id is not None else None


def topic_by_key(key: str) -> Topic | None:
    """The active topic a caller picks with this key."""
    return db.session.execute(select(Topic).filter_by(key=key, active=True)).scalar_one_or_none()


def ensure_topic(slug: str, key: str, names: dict, position: int | None = None) -> Topic:
    """Create or update a topic by slug (used by the demo seed and admins)."""
    topic = db.session.execute(select(Topic).filter_by(slug=slug)).scalar_one_or_none()
    if topic is None:
        topic = Topic(slug=slug, key=key, names=dict(names), position=position or int(key), active=True)
        db.session.add(topic)
    else:
        topic.key, topic.names = key, dict(names)
        if position is not None:
            topic.position = position
    db.session.flush()
    return topic


# --- what callers hear ----------------------------------------------------------------------

def playlist(topic_id: int, language: str) -> list[Story]:
    """Published stories of a topic in a language, newest first."""
    return list(db.session.execute(
        select(Story).filter_by(topic_id=topic_id, language=language)
        .where(Story.published_at.is_not(None), Story.unpublished_at.is_(None), Story.audio_key.is_not(None))
        .order_by(Story.published_at.desc(), Story.id.desc())
    ).scalars())


def get(story_id: int | None) -> Story | None:
    """The story with this id (published or not), if any."""
    return db.session.get(Story, story_id) if story_id else None


def get_story(story_id: int) -> Story:
    """The story with this id, published or not (for staff); aborts with 404 if there is none."""
    story = get(story_id)
    if story is None:
        abort(404)
    return story


def all_stories() -> list[Story]:
    """Every story, newest first (for staff)."""
    return list(db.session.execute(select(Story).order_by(Story.created_at.desc(), Story.id.desc())).scalars())


def of_share(share_id: int) -> list[Story]:
    """The stories published from this share (published now or not)."""
    return list(db.session.execute(select(Story).filter_by(share_id=share_id)).scalars())


def published(story_id: int) -> Story | None:
    """The story if callers may hear it now, else None."""
    story = db.session.get(Story, story_id)
    return story if story is not None and story.is_published else None


def fingerprint(story: Story) -> str:
    """The short content hash that makes a story's audio URL change whenever its audio does."""
    return (story.audio_hash or "0")[:16]


def audio_path(story: Story) -> str:
    """The public path of a story's audio (fingerprinted, so it can be cached for a year)."""
    ext = AUDIO_TYPES.get(story.audio_type, ".wav")
    return f"/audio/stories/{story.id}-{fingerprint(story)}{ext}"


def count_play(story_id: int) -> None:
    """Add one play (an atomic increment: concurrent calls never lose a count)."""
    db.session.execute(update(Story).where(Story.id == story_id).values(plays=Story.plays + 1))


def helped_marker(story_id: int, who: str, key: str) -> str:
    """The keyed marker of one person's "this helped me" for one story.

    `who` is "caller:<the caller's number hash>", or "call:<CallSid>" when caller ID is withheld
    (then it counts once per call).
    """
    return hmac.new(key.encode(), f"helped:{story_id}:{who}".encode(), hashlib.sha256).hexdigest()


def count_helped(story_id: int, marker: str) -> bool:
    """Add one "this helped me" unless this marker already counted for the story; True if counted."""
    try:
        with db.session.begin_nested():
            db.session.add(StoryHelpedMark(story_id=story_id, marker=marker))
            db.session.flush()
    except IntegrityError:
        return False  # counted before (or by a concurrent press of the same caller)
    db.session.execute(update(Story).where(Story.id == story_id).values(helped=Story.helped + 1))
    return True


# --- staff and seed changes -------------------------------------------------------------------

def add_story(topic: Topic, title: str, language: str, audio: bytes, duration_s: int, *,
              content_note: str | None = None, audio_type: str = "audio/wav", share_id: int | None = None,
              publish: bool = True) -> Story:
    """Store audio under a new story and (by default) publish it."""
    story = Story(topic_id=topic.id, title=title, language=language, duration_s=int(duration_s),
                  content_note=_checked_note(content_note), audio_type=audio_type, share_id=share_id,
                  plays=0, helped=0)
    db.session.add(story)
    db.session.flush()
    _store_audio(story, audio)
    if publish:
        story.published_at = utcnow()
    db.session.flush()
    return story


def publish_share(share: Share, topic: Topic, title: str, *, content_note: str | None = None) -> Story:
    """Make a story from a share the caller agreed to publish: its disguised or redacted audio."""
    if share.consent != "library":
        raise StoryError("the caller did not agree to the library")
    key = (share.disguised_key if share.disguise else None) or share.redacted_key
    if share.disguise and not share.disguised_key:
        raise StoryError("the caller asked for a disguised voice and there is no disguised audio yet")
    if not key:
        # Only a redacted (or disguised) copy may ever be published, never the original.
        raise StoryError("the share has no redacted audio yet")
    return add_story(topic, title, share.language, storage().get(key), share.duration_s or 0,
                     content_note=content_note, share_id=share.id)


def unpublish(story_id: int) -> Story | None:
    """Stop callers hearing a story (its audio URL stops answering at once)."""
    story = db.session.get(Story, story_id)
    if story is not None and story.unpublished_at is None:
        story.unpublished_at = utcnow()
        db.session.flush()
    return story


def republish(story_id: int) -> Story:
    """Let callers hear an unpublished story again."""
    story = db.session.get(Story, story_id)
    if story is None or not story.audio_key:
        raise StoryError("no audio to publish")
    story.unpublished_at = None
    story.published_at = story.published_at or utcnow()
    db.session.flush()
    return story


def retitle(story_id: int, title: str) -> Story:
    """Change the title spoken before a story."""
    story = db.session.get(Story, story_id)
    if story is None or not title.strip():
        raise StoryError("no such story, or an empty title")
    story.title = title.strip()[:200]
    db.session.flush()
    return story


def tag(story_id: int, content_note: str | None) -> Story:
    """Set (or clear, with None) the content note spoken before a story."""
    story = db.session.get(Story, story_id)
    if story is None:
        raise StoryError("no such story")
    story.content_note = _checked_note(content_note)
    db.session.flush()
    return story


def remove_audio(story: Story) -> None:
    """Unpublish a story and delete its audio (its share was deleted), and with it its replies' link."""
    replies.story_deleted(story)
    if story.audio_key:
        storage().delete(story.audio_key)
    story.audio_key = None
    story.audio_hash = None
    story.unpublished_at = story.unpublished_at or utcnow()
    db.session.flush()


def _store_audio(story: Story, audio: bytes) -> None:
    if story.audio_type not in AUDIO_TYPES:
        raise StoryError(f"unsupported audio type {story.audio_type!r}")
    ext = AUDIO_TYPES[story.audio_type]
    story.audio_key = storage().put(f"stories/{story.id}/audio{ext}", audio)
    story.audio_hash = hashlib.sha256(audio).hexdigest()


def _checked_note(note: str | None) -> str | None:
    if note and note not in CONTENT_NOTES:
        raise StoryError(f"unknown content note {note!r}; use one of {', '.join(CONTENT_NOTES)}")
    return note or None


@share_purged.connect
def _share_purged(share: Share, **_) -> None:
    for story in of_share(share.id):
        remove_audio(story)


@share_withdrawn.connect
def _share_withdrawn(share: Share, **_) -> None:
    for story in of_share(share.id):
        unpublish(story.id)
