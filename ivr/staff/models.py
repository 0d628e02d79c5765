"""Staff accounts (admins, moderators, facilitators) and the audit log of what they did."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.extensions import db
from ivr.models.base import utcnow

ROLES = ("admin", "moderator", "facilitator")


def new_session_nonce() -> str:
    """A fresh random token; changing it signs the account out everywhere."""
    return secrets.token_urlsafe(16)


class StaffUser(db.Model):
    """A person who works on the staff pages; passwords are argon2 hashes, never stored plain."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Throttle: consecutive failures since the last success, and the lock they earned.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of the login cookie's identity: rotating it ends every open session of the account.
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Flask-Login's protocol, spelled out rather than via UserMixin so get_id carries the nonce.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        """Flask-Login: a loaded account is authenticated."""
        return True

    @property
    def is_active(self) -> bool:
        """Flask-Login: deactivated accounts cannot sign in."""
        return bool(self.active)

    def get_id(self) -> str:
        """Flask-Login: the id stored in the session, bound to the current session nonce."""
        return f"{self.id}:{self.session_nonce}"

    def has_role(self, *roles: str) -> bool:
        """True when this account holds one of `roles`."""
        return self.role in roles


class AuditEntry(db.Model):
    """One staff action: who, what, on which object, when. Never a share's words or audio."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), index=True)
    # The actor's email at the time, so the entry still reads after an account is removed.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    staff: Mapped[StaffUser | None] = relationship()
