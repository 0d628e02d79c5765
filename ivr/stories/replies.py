"""Replies to stories: the only place a reply's link to its story or its delivered audio changes.

A reply is a share (same recording path, worker pipeline and moderation queue) marked
`is_reply` with the story it answers. Moderation decides who hears it: "published" puts it
after the story for every listener (only if the replier agreed to the library),
"kept_private" passes it to the storyteller alone, "rejected" to nobody. Nothing here ever
names a caller: storytellers and repliers only ever hear audio that moderation passed.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import func, select

from ivr.extensions import db
from ivr.shares import domain as shares
from ivr.shares.models import Share
from ivr.stories.models import Story
from ivr.storage import storage

#: Moderator decisions that deliver a reply, and to whom.
FOR_EVERYONE = ("published",)
FOR_STORYTELLER = ("published", "kept_private")


class ReplyError(ValueError):
    """Raised for a reply change that cannot be made."""


# --- what listeners hear ------------------------------------------------------------------------

def open_for_replies(story: Story | None) -> bool:
    """True if callers may leave a reply to this story now."""
    return story is not None and story.is_published and bool(story.replies_open)


def published(story: Story) -> list[Share]:
    """Replies every listener may hear after a story, newest first (none when the story is hidden or closed)."""
    if not open_for_replies(story):
        return []
    return _delivered(story.id, FOR_EVERYONE)


def for_storyteller(story: Story) -> list[Share]:
    """Replies the storyteller may hear (published, or passed to them privately), newest first."""
    return _delivered(story.id, FOR_STORYTELLER)


def count_for_storyteller(story: Story) -> int:
    """How many replies wait for the storyteller on this story."""
    return len(for_storyteller(story))


def _delivered(story_id: int, statuses: tuple[str, ...]) -> list[Share]:
    return list(db.session.execute(
        select(Share).filter_by(is_reply=True, reply_to_story_id=story_id)
        .where(Share.status.in_(statuses), Share.reply_audio_key.is_not(None))
        .order_by(Share.decided_at.desc(), Share.id.desc())
    ).scalars())


def audio_token(share: Share) -> str:
    """An unguessable token for a reply's audio URL (bound to the reply and its current audio)."""
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"reply:{share.id}:{share.reply_audio_key}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def audio_path(share: Share) -> str:
    """The path Twilio fetches a delivered reply's audio from."""
    return f"/audio/replies/{share.id}-{audio_token(share)}.wav"


def playable(share_id: int, token: str) -> Share | None:
    """The reply behind an audio URL, if it is still delivered and the token matches; else None."""
    share = db.session.get(Share, share_id)
    if share is None or not share.is_reply or share.status not in FOR_STORYTELLER or not share.reply_audio_key:
        return None
    if share.reply_to_story_id is None or not hmac.compare_digest(token, audio_token(share)):
        return None
    return share


# --- the storyteller ----------------------------------------------------------------------------

def stories_of_caller(caller_id: int) -> list[Story]:
    """Stories made from a known caller's shares that still have audio, newest first."""
    return list(db.session.execute(
        select(Story).join(Share, Story.share_id == Share.id)
        .where(Share.caller_id == caller_id, Share.is_reply.is_(False), Story.audio_key.is_not(None))
        .order_by(Story.created_at.desc(), Story.id.desc())
    ).scalars())


def stories_of_share(share: Share) -> list[Story]:
    """Stories made from one share (a caller who unlocked it with reference and PIN) that still have audio."""
    if share.is_reply:
        return []
    return list(db.session.execute(
        select(Story).filter_by(share_id=share.id).where(Story.audio_key.is_not(None)).order_by(Story.id.desc())
    ).scalars())


def set_open(story_id: int, is_open: bool) -> Story:
    """The storyteller turns replies to their story on or off (off also hides published replies)."""
    story = db.session.get(Story, story_id)
    if story is None:
        raise ReplyError("no such story")
    story.replies_open = bool(is_open)
    db.session.flush()
    return story


# --- moderation ---------------------------------------------------------------------------------

def deliver(share: Share, audio: bytes, decision: str, actor: str) -> Share:
    """A moderator passes a reply on: store the checked (bleeped or disguised) copy, then decide."""
    if not share.is_reply:
        raise ReplyError("this share is not a reply")
    if decision not in FOR_STORYTELLER:
        raise ReplyError(f"a reply is delivered as published or kept_private, not {decision!r}")
    if share.reply_to_story_id is None:
        raise ReplyError("the story this reply answers was deleted")
    shares.decide(share.id, decision, actor)  # raises for a closed share or a private one being published
    share.reply_audio_key = storage().put(f"replies/{share.id}/audio.wav", audio)
    db.session.flush()
    return share


def replies_to(story_id: int) -> list[Share]:
    """Every reply ever left on a story, for staff (newest first)."""
    return list(db.session.execute(
        select(Share).filter_by(is_reply=True, reply_to_story_id=story_id).order_by(Share.created_at.desc(), Share.id.desc())
    ).scalars())


def counts_by_story(story_ids: list[int]) -> dict[int, int]:
    """How many replies each story has (any state), for staff lists."""
    if not story_ids:
        return {}
    rows = db.session.execute(
        select(Share.reply_to_story_id, func.count(Share.id)).where(Share.is_reply.is_(True),
                                                                   Share.reply_to_story_id.in_(story_ids))
        .group_by(Share.reply_to_story_id)
    ).all()
    return {story_id: n for story_id, n in rows}


# --- deletion -----------------------------------------------------------------------------------

def story_deleted(story: Story, actor: str = "caller") -> None:
    """A story's audio is gone for good: delete replies meant only for its storyteller, unlink the rest.

    Replies the replier let others hear stay the replier's shares (they can still delete
    them), but no longer point at, or play after, anything.
    """
    for reply in replies_to(story.id):
        if reply.consent != "library":
            shares.delete(reply.id, actor=f"{actor}:story-deleted")
            reply = shares.get(reply.id)
        reply.reply_to_story_id = None
        if reply.reply_audio_key:
            storage().delete(reply.reply_audio_key)
            reply.reply_audio_key = None
    db.session.flush()
