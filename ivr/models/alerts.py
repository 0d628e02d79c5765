"""Alerts sent to the on-call moderator (one per share): when, how, and whether it got out."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.extensions import db
from ivr.models.base import utcnow


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
