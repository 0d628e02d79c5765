"""Callers are known by a keyed hash of their number; raw numbers are never stored."""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import NamedTuple

from sqlalchemy import bindparam, select

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


# Built once on the table (not the ORM): a new call's one read is a cached Core statement.
_TABLE = Caller.__table__
_PREFERENCES = select(_TABLE.c.id, _TABLE.c.language, _TABLE.c.heard_howto).where(
    _TABLE.c.number_hash == bindparam("digest"))


def preferences(number: str | None, key: str, conn=None) -> Preferences | None:
    """A returning caller's saved preferences (one read by HMAC), None if new or withheld.

    `conn`: a Core connection to read on (ivr.database.statements_commit_alone), else the session.
    """
    digest = number_hash(number, key)
    if digest is None:
        return None
    row = (conn or db.session).execute(_PREFERENCES, {"digest": digest}).first()
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
