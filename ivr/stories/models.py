"""Story topics, stories and the "this helped me" marks.

State changes go through ivr/stories/domain.py only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.extensions import db
from ivr.models.base import utcnow


class Topic(db.Model):
    """A story topic a caller picks by key; its name in every language."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(48), unique=True)
    key: Mapped[str] = mapped_column(String(1), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    names: Mapped[dict] = mapped_column(JSON)  # {"en": "grief and loss", "es": "duelo y pérdida"}
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Story(db.Model):
    """A published (or once published) recording callers can hear; counts are never per caller."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int | None] = mapped_column(ForeignKey("shares.id", ondelete="SET NULL"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    content_note: Mapped[str | None] = mapped_column(String(64))
    audio_key: Mapped[str | None] = mapped_column(String(300))
    audio_hash: Mapped[str | None] = mapped_column(String(64))
    audio_type: Mapped[str] = mapped_column(String(48), default="audio/wav")
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    unpublished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    plays: Mapped[int] = mapped_column(Integer, default=0)
    helped: Mapped[int] = mapped_column(Integer, default=0)
    replies_open: Mapped[bool] = mapped_column(Boolean, default=True)  # the storyteller may turn replies off

    topic: Mapped[Topic] = relationship()

    @property
    def is_published(self) -> bool:
        """True while callers can hear it."""
        return self.published_at is not None and self.unpublished_at is None and bool(self.audio_key)


class StoryHelpedMark(db.Model):
    """One "this helped me" already counted for a story, so a caller counts once.

    `marker` is an HMAC (server key) of the story and the caller's number hash (or, with caller
    ID withheld, of the call): it cannot be matched to `callers.number_hash` without the key, and
    nothing here holds a time, so no row says who heard what or when. Staff pages never read it.
    """

    __tablename__ = "story_helped_marks"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    marker: Mapped[str] = mapped_column(String(64), primary_key=True)
