"""Wrong (and right) answers to secrets asked on the phone: facilitator PINs, share PINs.

Each try is its own row with its own time, so limits count tries by when they happened,
never by how old the call or its circle state is.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.extensions import db
from ivr.models.base import utcnow


class GuessAttempt(db.Model):
    """One PIN try: what it was for (kind + target), which call, which caller (by id), and when."""

    __tablename__ = "guess_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # circle_pin | share_pin
    target_id: Mapped[int | None] = mapped_column(Integer, index=True)  # a circle id or a share id
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    caller_id: Mapped[int | None] = mapped_column(Integer, index=True)  # callers.id (an HMAC), None if withheld
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
