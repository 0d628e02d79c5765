"""Callers, calls and the steps they take; small key/value settings."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.extensions import db
from ivr.models.base import utcnow

#: Twilio's CallStatus values that mean the call is over.
FINAL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")


class Caller(db.Model):
    """A returning caller, known only by a keyed hash of their number."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    heard_howto: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_call_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Call(db.Model):
    """One phone call, keyed by Twilio's CallSid; holds the call's flow state."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id", ondelete="SET NULL"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    step: Mapped[str | None] = mapped_column(String(64))
    return_step: Mapped[str | None] = mapped_column(String(64))
    misses: Mapped[int] = mapped_column(Integer, default=0)
    silences: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    errors: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(24), default="in-progress")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    # The rest of the state (ivr.calls.call_state) for webhooks that arrive without it in their URL.
    flags: Mapped[str | None] = mapped_column(String(16))
    unlocked: Mapped[str | None] = mapped_column(String(200))

    caller: Mapped[Caller | None] = relationship()


class CallStep(db.Model):
    """One step a call passed through (no longer written: analytics are CallTally counts; see 0012)."""

    __tablename__ = "call_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CallTally(db.Model):
    """Call analytics as counts per UTC day: sections reached (once per call) and crisis presses.

    Counted in aggregate, so no row holds a number, a caller or the path of one call.
    """

    __tablename__ = "call_tallies"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event: Mapped[str] = mapped_column(String(24), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class Setting(db.Model):
    """A small operator-editable setting (key/value)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(1000))
