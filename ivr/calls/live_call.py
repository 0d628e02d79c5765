"""The call in progress as one webhook sees it: state from the signed URL, the row only on demand.

A keypress that only moves through menus reads and writes nothing: language, step and the
miss and silence counters come in with the request's URL and leave in the next action URL.
The `calls` row (keyed by CallSid) is read or written only when something must persist
(a share draft, a circle seat) or when a webhook arrives without state.
"""
from __future__ import annotations

from functools import lru_cache

from ivr.calls import callers
from ivr.calls.call_state import CallState
from ivr.extensions import db
from ivr.calls.models import Call, Caller
from ivr.models.base import insert

_UNSET = object()


def find_call(sid: str) -> Call | None:
    """The Call with this CallSid, if any."""
    return db.session.execute(db.select(Call).filter_by(call_sid=sid)).scalar_one_or_none()


def insert_ignoring_retries(values: dict, conn=None) -> None:
    """INSERT a calls row in one statement; a retried webhook whose CallSid exists changes nothing.

    `conn`: a Core connection to write on (ivr.database.statements_commit_alone), else the session.
    """
    on = conn or db.session
    on.execute(_insert_call((conn.engine if conn is not None else db.session.get_bind()).dialect.name), values)


@lru_cache(maxsize=2)
def _insert_call(dialect: str):
    # Built once per database (not per call): the table's own INSERT, compiled once and cached;
    # inline: nobody needs the new id back, so no RETURNING.
    return insert(Call.__table__, dialect).on_conflict_do_nothing(index_elements=["call_sid"]).inline()


def _state_columns(state: CallState) -> dict:
    return {"language": state.language, "step": state.step, "return_step": state.return_step,
            "misses": state.misses, "silences": state.silences, "errors": state.errors,
            "caller_id": state.caller_id, "flags": state.flag_text(), "unlocked": state.unlocked_text()}


class LiveCall:
    """One call's state for this request, with its database row and caller loaded lazily."""

    def __init__(self, call_sid: str, state: CallState, *, number: str | None = None, hash_key: str = "",
                 row: Call | None = None, caller=_UNSET, preferences: callers.Preferences | None = None):
        self.call_sid = call_sid
        self.state = state
        self._number, self._hash_key = number, hash_key
        self._row = row
        self._caller = caller
        self._preferences = preferences

    # The engine and actions read and set these as they did on the row.
    language = property(lambda self: self.state.language, lambda self, v: setattr(self.state, "language", v))
    step = property(lambda self: self.state.step, lambda self, v: setattr(self.state, "step", v))
    return_step = property(lambda self: self.state.return_step, lambda self, v: setattr(self.state, "return_step", v))
    misses = property(lambda self: self.state.misses, lambda self, v: setattr(self.state, "misses", v))
    silences = property(lambda self: self.state.silences, lambda self, v: setattr(self.state, "silences", v))

    @property
    def preferences(self) -> callers.Preferences | None:
        """The saved preferences read when the call came in (None: a new or withheld caller)."""
        return self._preferences

    @property
    def caller_id(self) -> int | None:
        """The caller's id: from the URL state, else the caller row (created now), None if withheld."""
        if self.state.caller_id is None and self._caller is _UNSET and self._number is not None:
            self.caller  # noqa: B018 (loads or creates the row, and notes its id in the state)
        return self.state.caller_id

    @property
    def flags(self) -> set[str]:
        """Letters this call has gathered (ivr.calls.call_state)."""
        return self.state.flags

    @property
    def unlocked(self) -> set[int]:
        """Shares this call opened with their reference and PIN."""
        return self.state.unlocked

    @property
    def caller(self) -> Caller | None:
        """The caller's row (created when first needed), or None when caller ID was withheld."""
        if self._caller is _UNSET:
            if self.state.caller_id:
                self._caller = db.session.get(Caller, self.state.caller_id)
            else:
                self._caller = callers.find_or_create(self._number, self._hash_key)
            if self._caller is not None:
                self.state.caller_id = self._caller.id
        return self._caller

    def saved_preferences(self) -> tuple[str | None, bool]:
        """(language, heard the how-to) saved for this caller, without creating a caller row."""
        if self._caller is _UNSET and self._preferences is not None:
            return self._preferences.language, self._preferences.heard_howto
        caller = self._caller if self._caller is not _UNSET else (
            db.session.get(Caller, self.state.caller_id) if self.state.caller_id else None)
        if caller is None:
            return None, False
        return caller.language, bool(caller.heard_howto)

    @property
    def row(self) -> Call:
        """The calls row (read, or created if Twilio's first webhook never reached us)."""
        if self._row is None:
            self._row = find_call(self.call_sid)
            if self._row is None:
                insert_ignoring_retries({"call_sid": self.call_sid, **_state_columns(self.state)})
                self._row = find_call(self.call_sid)
        return self._row

    @property
    def id(self) -> int:
        """The calls row's id (share drafts hang off it)."""
        return self.row.id

    @property
    def has_row(self) -> bool:
        """True when this request read or created the row."""
        return self._row is not None

    def save_to_row(self) -> None:
        """Write the state onto the row if this request loaded it (persist points, URL-less webhooks)."""
        if self._row is not None:
            self.state.onto_row(self._row)

    def insert_row(self, conn=None) -> None:
        """The new call's row with its state after the first answer: the one write of /voice/incoming."""
        if self._row is not None:
            self.state.onto_row(self._row)
        else:
            insert_ignoring_retries({"call_sid": self.call_sid, **_state_columns(self.state)}, conn)
