"""Callers are known by a keyed hash of their number; raw numbers are never stored."""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import NamedTuple

from sqlalchemy import bindparam

from ivr.extensions import db
from ivr.calls.models import Caller
from ivr.models.base import utcnow

# What carriers and Twilio send when caller ID is withheld.
WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "unavailable", "+266696687", "+7378742833", "+2562533", "+86282452253", "+8656696"}


def normalise(number: str | None) -> str | None:
    """E.164-ish digits of a caller's number, or None when it is withheld."""
    if number is None:
        return None
    cleaned = number.strip().lower()
    if cleaned in WITHHELD:
        return None
    digits = re.sub(r"[^\d+]", "", cleaned)
    if len(re.sub(r"\D", "", digits)) < 3:
        return None
    return digits


def number_hash(number: str | None, key: str) -> str | None:
    """HMAC-SHA256 of a caller's number with the server key, or None if withheld."""
    cleaned = normalise(number)
    if cleaned is None:
        return None
    return hmac.new(key.encode(), cleaned.encode(), hashlib.sha256).hexdigest()


class Preferences(NamedTuple):
    """What a returning caller chose on earlier calls."""

    caller_id: int
    language: str | None
    heard_howto: bool


# Built once: a new call's one read is then a cached statement with one parameter.
_PREFERENCES = db.select(Caller.id, Caller.language, Caller.heard_howto).where(
    Caller.number_hash == bindparam("digest"))


def preferences(number: str | None, key: str) -> Preferences | None:
    """A returning caller's saved preferences (one read by HMAC), None if new or withheld."""
    digest = number_hash(number, key)
    if digest is None:
        return None
    row = db.session.execute(_PREFERENCES, {"digest": digest}).first()
    return Preferences(row.id, row.language, bool(row.heard_howto)) if row is not None else None


def find_or_create(number: str | None, key: str) -> Caller | None:
    """The Caller for this number (created on first call), or None for a withheld number."""
    digest = number_hash(number, key)
    if digest is None:
        return None
    caller = db.session.execute(db.select(Caller).filter_by(number_hash=digest)).scalar_one_or_none()
    if caller is None:
        caller = Caller(number_hash=digest)
        db.session.add(caller)
        db.session.flush()
    else:
        caller.last_call_at = utcnow()
    return caller
