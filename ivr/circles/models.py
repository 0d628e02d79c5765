"""Circles: scheduled facilitated conference calls, their meetings, rosters and reminders.

Nothing here is personal data sent to Twilio: conference names and participant labels are
random opaque tokens. Raw phone numbers are never stored, except a reminder's callback number,
which is encrypted (Fernet) and deleted once the reminder is sent or the caller opts out.
"""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, Time,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.extensions import db
from ivr.models.base import utcnow

TWILIO_MAX_PARTICIPANTS = 250


class Circle(db.Model):
    """A standing circle: what it is about, its language, its weekly meeting time and its size."""

    __tablename__ = "circles"
    __table_args__ = (CheckConstraint(f"cap >= 2 AND cap <= {TWILIO_MAX_PARTICIPANTS}", name="cap_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)  # what callers key in
    name: Mapped[str] = mapped_column(String(80))
    topic: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # IANA name, for zoneinfo
    days: Mapped[str] = mapped_column(String(32))  # weekday numbers, Monday = 0: "1,3"
    start_time: Mapped[time] = mapped_column(Time)
    duration_min: Mapped[int] = mapped_column(Integer, default=60)
    cap: Mapped[int] = mapped_column(Integer, default=12)
    participant_muted_default: Mapped[bool] = mapped_column(Boolean, default=True)  # "listen first"
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # an admin's lock on every meeting
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused | archived
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    facilitators: Mapped[list["CircleFacilitator"]] = relationship(back_populates="circle")


class CircleFacilitator(db.Model):
    """A facilitator's assignment to a circle, with an argon2-hashed PIN for joining by phone."""

    __tablename__ = "circle_facilitators"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(Integer)  # staff accounts are wired later
    label: Mapped[str] = mapped_column(String(80))
    pin_hash: Mapped[str] = mapped_column(String(255))
    # HMAC of the facilitator's own phone (as callers.number_hash): skips the circle-wide PIN pause.
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    circle: Mapped[Circle] = relationship(back_populates="facilitators")


class CircleSession(db.Model):
    """One meeting of a circle: a Twilio conference under an opaque name."""

    __tablename__ = "circle_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    conference_name: Mapped[str] = mapped_column(String(40), unique=True)
    conference_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting | live | ended
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("circle_facilitators.id", ondelete="SET NULL"))
    last_speaker_id: Mapped[int | None] = mapped_column(Integer)  # a CircleParticipant id
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    rules_announced: Mapped[bool] = mapped_column(Boolean, default=False)
    # Staff started it from the console: callers' entering starts the conference, no PIN needed.
    staff_started: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    circle: Mapped[Circle] = relationship()


class CircleParticipant(db.Model):
    """One caller's place on a meeting's roster (one row per call, kept across star-menu visits)."""

    __tablename__ = "circle_participants"
    __table_args__ = (UniqueConstraint("session_id", "call_sid", name="uq_circle_participants_session_call"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("circle_sessions.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40), unique=True)  # opaque participantLabel
    call_sid: Mapped[str] = mapped_column(String(64))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(16), default="participant")  # participant | facilitator
    connected: Mapped[bool] = mapped_column(Boolean, default=False)  # on the conference leg now
    muted: Mapped[bool] = mapped_column(Boolean, default=True)
    hold: Mapped[bool] = mapped_column(Boolean, default=False)
    speaking: Mapped[bool] = mapped_column(Boolean, default=False)
    hand_raised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    in_menu_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    rules_heard: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Twilio's RecordingSid/URL of an optional 2-second first name (roll call and console only).
    name_recording_sid: Mapped[str | None] = mapped_column(String(64))
    name_recording_url: Mapped[str | None] = mapped_column(String(500))

    session: Mapped[CircleSession] = relationship()


class CircleCall(db.Model):
    """Per-call circle state between webhooks: the chosen circle, PIN tries, the first name."""

    __tablename__ = "circle_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="SET NULL"))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("circle_facilitators.id", ondelete="SET NULL"))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    reminder_id: Mapped[int | None] = mapped_column(Integer)
    name_recording_sid: Mapped[str | None] = mapped_column(String(64))
    name_recording_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CircleReminder(db.Model):
    """A caller's request to be called or texted shortly before a circle meets."""

    __tablename__ = "circle_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # call | sms
    language: Mapped[str] = mapped_column(String(8), default="en")
    meeting_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    remind_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # Fernet token of the callback number (key derived from SECRET_KEY); None once used.
    number_encrypted: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed | opted_out
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    call_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    circle: Mapped[Circle] = relationship()
