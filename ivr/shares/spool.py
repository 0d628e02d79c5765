"""A local spool for recording callbacks that could not be written to the database.

Nothing a caller recorded may be lost: if the share cannot be persisted when Twilio reports the
recording (the database is down, say), the callback's ids are written to a file first and
replayed later by the sweep. Only opaque ids and statuses are kept: never the caller's number.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import OperationalError

from ivr import twilio_ids
from ivr.shares import domain as shares
from ivr.shares import drafts as share_drafts
from ivr.extensions import db

log = logging.getLogger(__name__)

# Twilio's parameters the share needs; From/To/Caller/Called are deliberately left out.
KEPT_FIELDS = ("RecordingSid", "RecordingStatus", "RecordingUrl", "RecordingDuration", "CallSid", "ErrorCode")
_SAFE = re.compile(r"^[A-Za-z0-9]{1,64}$")


def spool_dir() -> Path:
    """Where spooled callbacks wait (under STORAGE_DIR)."""
    return Path(current_app.config["STORAGE_DIR"]) / "spool" / "recording-callbacks"


def spool(draft_id: str, form) -> Path:
    """Write one callback atomically to the spool; returns its path."""
    sid = form.get("RecordingSid", "")
    if not _SAFE.match(sid):
        raise ValueError("a spooled callback needs a RecordingSid")
    folder = spool_dir()
    folder.mkdir(parents=True, exist_ok=True)
    record = {"draft": draft_id, "form": {k: form.get(k) for k in KEPT_FIELDS if form.get(k) is not None}}
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh)
        fh.flush()
        os.fsync(fh.fileno())
    path = folder / f"{sid}.json"
    os.replace(tmp, path)
    return path


def _set_aside(path: Path, exc: Exception) -> None:
    """Move a callback that can never replay into `rejected/`, with a log line (not retried forever)."""
    rejected = path.parent / "rejected"
    rejected.mkdir(exist_ok=True)
    os.replace(path, rejected / path.name)
    log.error("spooled recording callback %s can never be replayed (%s: %s); moved to %s",
              path.stem, type(exc).__name__, exc, rejected)


def replay() -> int:
    """Persist every spooled callback through ivr.shares; returns how many were replayed."""

    folder = spool_dir()
    if not folder.is_dir():
        return 0
    done = 0
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text())
            draft_id = str(record.get("draft") or "")
            form = record["form"]
            if not twilio_ids.valid("RE", form.get("RecordingSid")):
                raise ValueError("malformed RecordingSid")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            _set_aside(path, exc)  # can never replay: keep it for a person, stop retrying it
            continue
        try:
            draft = share_drafts.find_draft(draft_id)
            shares.receive_from_callback(draft, form)  # commits, then enqueues processing
            db.session.commit()
        except OperationalError:
            db.session.rollback()  # the database is still away: try again next sweep
            log.exception("spooled recording callback %s still cannot be persisted", path.stem)
            continue
        except Exception as exc:
            db.session.rollback()
            _set_aside(path, exc)
            continue
        path.unlink()
        done += 1
    return done
