"""Staff accounts: the only place an account is created, changed or signed in (argon2, throttled)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app

from ivr.extensions import db
from ivr.models.base import utcnow
from ivr.staff.models import ROLES, StaffUser, new_session_nonce
from ivr.staff import audit

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("peerline-no-such-account")
MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """An account change that cannot be made (bad role, short password, duplicate email).

    `field` names the form field at fault ("email", "name", "role", "password"), when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in attempt; `user` is set only on success."""

    user: StaffUser | None
    locked: bool = False


def aware(value: datetime | None) -> datetime | None:
    """Treat a naive datetime (SQLite hands those back) as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def find_by_email(email: str) -> StaffUser | None:
    """The account with this email, or None."""
    return db.session.execute(
        db.select(StaffUser).filter_by(email=normalise_email(email))
    ).scalar_one_or_none()


def find(user_id: int | None) -> StaffUser | None:
    """The account with this id, if any."""
    return db.session.get(StaffUser, user_id) if user_id else None


def get_account(user_id: int) -> StaffUser:
    """The account with this id; aborts with 404 if there is none."""
    user = find(user_id)
    if user is None:
        abort(404)
    return user


def _check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", "password")


def create(email: str, name: str, password: str, role: str, actor: StaffUser | None = None) -> StaffUser:
    """Create an account (hashing the password) and audit it; raises AccountError when invalid."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("That does not look like an email address.", "email")
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}.", "role")
    if not (name or "").strip():
        raise AccountError("A name is needed.", "name")
    _check_password_rules(password)
    if find_by_email(email) is not None:
        raise AccountError("An account with that email already exists.", "email")
    user = StaffUser(email=email, name=name.strip()[:120], password_hash=_hasher.hash(password),
                     role=role, active=True, failed_logins=0, session_nonce=new_session_nonce())
    db.session.add(user)
    db.session.flush()
    audit.record("staff.create", "staff", user.id, detail=f"role={role}", actor=actor)
    return user


def authenticate(email: str, password: str) -> LoginResult:
    """Check a sign-in; counts failures and locks the account for a while after too many."""
    user = find_by_email(email)
    now = utcnow()
    if user is None:
        _verify(_DUMMY_HASH, password)
        audit.record("login.unknown", actor=None, actor_label="(unknown email)")
        return LoginResult(None)
    locked_until = aware(user.locked_until)
    if locked_until and locked_until > now:
        # Still verify, so timing does not reveal the lock; the result is ignored either way.
        _verify(user.password_hash, password)
        audit.record("login.refused_locked", "staff", user.id, actor=user)
        return LoginResult(None, locked=True)
    if not _verify(user.password_hash, password) or not user.active:
        _count_failure(user, now)
        return LoginResult(None, locked=user.locked_until is not None and aware(user.locked_until) > now)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", "staff", user.id, actor=user)
    return LoginResult(user)


def _count_failure(user: StaffUser, now: datetime) -> None:
    config = current_app.config
    user.failed_logins = (user.failed_logins or 0) + 1
    user.last_failed_at = now
    audit.record("login.failed", "staff", user.id, actor=user, detail=f"failures={user.failed_logins}")
    if user.failed_logins >= config["STAFF_MAX_FAILED_LOGINS"]:
        # Each further failure while over the limit doubles the lock, capped at a day.
        extra = user.failed_logins - config["STAFF_MAX_FAILED_LOGINS"]
        minutes = min(config["STAFF_LOCK_MINUTES"] * (2 ** extra), 24 * 60)
        user.locked_until = now + timedelta(minutes=minutes)
        audit.record("login.locked", "staff", user.id, actor=user, detail=f"minutes={minutes}")
        log.warning("staff account %s locked for %s minutes after %s failures", user.id, minutes, user.failed_logins)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def load_for_session(session_id: str) -> StaffUser | None:
    """Flask-Login's user loader: 'id:nonce' → the active account whose nonce still matches."""
    user_id, _, nonce = (session_id or "").partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or user.session_nonce != nonce:
        return None
    return user


def end_sessions(user: StaffUser) -> None:
    """Revoke every session of this account (sign-out): its cookies no longer load the user."""
    user.session_nonce = new_session_nonce()


def set_password(user: StaffUser, password: str, actor: StaffUser) -> None:
    """Change a password; every open session of the account ends."""
    _check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    user.session_nonce = new_session_nonce()
    user.failed_logins = 0
    user.locked_until = None
    audit.record("staff.password", "staff", user.id, actor=actor)


def set_role(user: StaffUser, role: str, actor: StaffUser) -> None:
    """Change an account's role; its sessions end so the new rights apply at once."""
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}.")
    if user.id == actor.id and role != "admin":
        raise AccountError("You cannot take away your own admin role.")
    user.role = role
    user.session_nonce = new_session_nonce()
    audit.record("staff.role", "staff", user.id, actor=actor, detail=f"role={role}")


def set_active(user: StaffUser, active: bool, actor: StaffUser) -> None:
    """Deactivate (signing out everywhere) or reactivate an account."""
    if user.id == actor.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    user.active = active
    if not active:
        user.session_nonce = new_session_nonce()
    else:
        user.failed_logins = 0
        user.locked_until = None
    audit.record("staff.activate" if active else "staff.deactivate", "staff", user.id, actor=actor)


def unlock(user: StaffUser, actor: StaffUser) -> None:
    """Lift a login lock early."""
    user.failed_logins = 0
    user.locked_until = None
    audit.record("staff.unlock", "staff", user.id, actor=actor)


def all_staff() -> list[StaffUser]:
    """Every account, by role then name."""
    return list(db.session.execute(db.select(StaffUser).order_by(StaffUser.role, StaffUser.name)).scalars())


def facilitators() -> list[StaffUser]:
    """Active facilitators (and admins, who may also run a circle), by name."""
    return list(db.session.execute(
        db.select(StaffUser).where(StaffUser.active.is_(True), StaffUser.role.in_(("facilitator", "admin")))
        .order_by(StaffUser.name)).scalars())
