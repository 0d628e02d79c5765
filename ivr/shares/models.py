"""Voice shares, the recording attempts behind them, the deletion audit and on-call alerts.

State changes go through ivr/shares/domain.py (shares) and ivr/shares/oncall.py (alerts) only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.extensions import db
from ivr.models.base import utcnow

#: Every status a share can have, in the rough order a share moves through them.
SHARE_STATUSES = (
    "received",         # persisted from Twilio's recording callback; processing not started
    "processing",       # a worker is downloading / transcribing / screening it
    "queued",           # processed, waiting in the moderation queue
    "needs_listening",  # processing could not rank it (low confidence, error): a human must listen
    "failed",           # Twilio reported a failed or absent recording, or processing gave up
    "empty",            # the recording held only silence (kept, never published)
    "published",        # a moderator published it as a story
    "kept_private",     # a moderator listened; it stays with moderators
    "rejected",         # a moderator decided it will not be published
    "discarded",        # the caller discarded it at the review menu
    "withdrawn",        # the caller withdrew it by phone
    "deleted",          # audio and transcript removed; only this row and an audit entry remain
)
#: Statuses a caller (or staff) can no longer act on: the share's content is gone or going.
CLOSED_STATUSES = ("discarded", "withdrawn", "deleted")
CONSENTS = ("private", "library")


class Share(db.Model):
    """One voice share left by a caller, keyed uniquely by Twilio's RecordingSid."""

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id", ondelete="SET NULL"), index=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(8))
    consent: Mapped[str] = mapped_column(String(16), default="private")
    disguise: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(24), default="received", index=True)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    twilio_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    original_key: Mapped[str | None] = mapped_column(String(300))
    redacted_key: Mapped[str | None] = mapped_column(String(300))
    disguised_key: Mapped[str | None] = mapped_column(String(300))
    transcript: Mapped[dict | list | None] = mapped_column(JSON)
    screening: Mapped[dict | None] = mapped_column(JSON)
    tier: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=0, index=True)
    reasons: Mapped[list | None] = mapped_column(JSON)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A failed fetch/store is tried again by the sweep, with backoff, not before this time.
    retry_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up_note: Mapped[str | None] = mapped_column(Text)
    # A tier a moderator set after listening outranks screening, including a later re-run.
    tier_set_by: Mapped[str | None] = mapped_column(String(64))
    tier_set_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A reply to a story (issue 17): marked for good by is_reply; the link to its story is
    # dropped when the story is deleted. reply_audio_key holds the copy moderation passed on.
    is_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    # No foreign key: stories point at shares already, and ivr/stories/replies.py unlinks on deletion.
    reply_to_story_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reply_audio_key: Mapped[str | None] = mapped_column(String(300))

    def storage_keys(self) -> list[str]:
        """Every storage key holding this share's audio (original and derived copies)."""
        return [k for k in (self.original_key, self.redacted_key, self.disguised_key, self.reply_audio_key) if k]


class ShareDraft(db.Model):
    """One recording attempt in a call: the caller's choices, held until Twilio reports the recording."""

    __tablename__ = "share_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    consent: Mapped[str | None] = mapped_column(String(16))
    disguise: Mapped[bool] = mapped_column(Boolean, default=False)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(16))  # None (open), kept, discarded, replaced
    reply_to_story_id: Mapped[int | None] = mapped_column(Integer)  # set when the attempt is a reply
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShareAudit(db.Model):
    """A record that a share was withdrawn, discarded or deleted, and by whom; never its content."""

    __tablename__ = "share_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: outlives any purge
    reference: Mapped[str | None] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OncallAlert(db.Model):
    """One crisis alert for one share; the unique share_id makes sending it idempotent.

    Holds no phone numbers and no transcript: the message points moderators at the share.
    """

    __tablename__ = "oncall_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"), unique=True)
    tier: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed, unconfigured
    message_sid: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
