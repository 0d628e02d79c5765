"""Shared helpers for models: aware UTC time, and INSERT ... ON CONFLICT on either database."""
from datetime import datetime, timezone

from sqlalchemy.dialects import postgresql, sqlite

from ivr.extensions import db


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def insert(model, dialect: str | None = None):
    """An INSERT for `model` that can say ON CONFLICT, for the session's database (PostgreSQL or SQLite)."""
    dialect = dialect or db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
