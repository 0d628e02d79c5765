"""The staff audit log: who did what to which object, when. Callers' words never go in here."""
from __future__ import annotations

from flask_login import current_user

from ivr.extensions import db
from ivr.staff.models import AuditEntry, StaffUser

_UNSET = object()


def record(action: str, object_type: str | None = None, object_id=None, *, detail: str | None = None,
           actor=_UNSET, actor_label: str | None = None) -> AuditEntry:
    """Add an audit entry in the current transaction; `detail` is for codes and counts only."""
    if actor is _UNSET:
        actor = current_user if getattr(current_user, "is_authenticated", False) else None
    staff = actor if isinstance(actor, StaffUser) else None
    label = actor_label or (staff.email if staff is not None else "(system)")
    entry = AuditEntry(staff_id=staff.id if staff is not None else None, actor=label[:254], action=action,
                       object_type=object_type, object_id=None if object_id is None else str(object_id)[:64],
                       detail=(detail or None) and detail[:200])
    db.session.add(entry)
    return entry


def recent(limit: int = 200, action: str | None = None, staff_id: int | None = None,
           offset: int = 0) -> list[AuditEntry]:
    """The newest entries first (skipping `offset` of them), optionally only one action or one person's."""
    query = db.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    if action:
        query = query.where(AuditEntry.action == action)
    if staff_id:
        query = query.where(AuditEntry.staff_id == staff_id)
    return list(db.session.execute(query).scalars())
