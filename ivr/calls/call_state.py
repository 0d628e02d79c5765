"""A call's menu state, carried in the signed URLs Twilio calls back (no database per keypress).

Twilio signs the whole URL it requests, so state written into an action URL comes back exactly
as we wrote it or the signature check refuses the request (403): nobody without the auth token
can forge or edit it. The state is one path segment in front of the voice routes,

    https://peerline.test/c/1.en.main_menu..0.0.0.42.hs./voice/step/main_menu/input

(version 1: language, step, return step, misses, silences, errors, caller id, flags, unlocked
share ids), so a step's URL still ends with its own path and its own opaque query ids. It holds
only opaque ids and counters: never a number, a name or what the caller pressed at a PIN.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

VERSION = "1"
PREFIX = "/c"
#: Stands for the state in URLs built while a response is rendered; the state as it is when
#: the response is finished replaces it (ivr.calls.state.answer), so every URL carries the final state.
MARK = "~cs~"
_NAME = re.compile(r"^[a-z0-9_]{0,64}$")
_FIELDS = 10

#: Flags a call gathers on its way (each is one letter in the URL).
HEARD_HOWTO = "h"  # the how-to was heard (or skipped) on this call
HEARD_STORY_KEYS = "k"  # the story player's full key map was spoken once
#: Sections reached, so call analytics count a call once per section (reports' "what callers chose").
REACHED = {"stories": "s", "circles": "c", "shares": "p", "crisis": "x"}


class StateError(ValueError):
    """A state segment that this version cannot read (a bad or foreign URL)."""


@dataclass
class CallState:
    """Where a call is in the flows and the counters the engine keeps for it."""

    language: str
    step: str | None = None
    return_step: str | None = None
    misses: int = 0
    silences: int = 0
    errors: int = 0
    caller_id: int | None = None
    flags: set[str] = field(default_factory=set)
    unlocked: set[int] = field(default_factory=set)

    def encode(self) -> str:
        """The state as one URL path segment (unreserved characters only: no escaping)."""
        return ".".join([
            VERSION, self.language, self.step or "", self.return_step or "", str(self.misses or 0),
            str(self.silences or 0), str(self.errors or 0), str(self.caller_id or ""),
            self.flag_text(), self.unlocked_text(),
        ])

    def flag_text(self) -> str:
        """The flags as letters ("hs")."""
        return "".join(sorted(self.flags))

    def unlocked_text(self) -> str:
        """The unlocked share ids as "3-12"."""
        return "-".join(str(i) for i in sorted(self.unlocked))

    @classmethod
    def decode(cls, text: str) -> "CallState":
        """Read a segment written by encode(); StateError for anything else."""
        parts = text.split(".")
        if len(parts) != _FIELDS or parts[0] != VERSION:
            raise StateError("unknown call-state version")
        _, language, step, back, misses, silences, errors, caller, flags, unlocked = parts
        return cls._parsed(language, step, back, misses, silences, errors, caller, flags, unlocked)

    @classmethod
    def _parsed(cls, language, step, back, misses, silences, errors, caller, flags, unlocked) -> "CallState":
        if not (language.isalpha() and len(language) <= 8 and _NAME.match(step) and _NAME.match(back)):
            raise StateError("malformed call state")
        numbers = (misses, silences, errors)
        if not all(n.isdigit() for n in numbers) or (caller and not caller.isdigit()) or not flags.isalpha() and flags:
            raise StateError("malformed call state")
        try:
            opened = {int(i) for i in unlocked.split("-") if i}
        except ValueError as exc:
            raise StateError("malformed call state") from exc
        return cls(language=language, step=step or None, return_step=back or None, misses=int(misses),
                   silences=int(silences), errors=int(errors), caller_id=int(caller) if caller else None,
                   flags=set(flags), unlocked=opened)

    @classmethod
    def of_row(cls, call) -> "CallState":
        """The state a Call row holds (calls whose webhooks carry no state segment)."""
        return cls(language=call.language, step=call.step, return_step=call.return_step, misses=call.misses or 0,
                   silences=call.silences or 0, errors=call.errors or 0, caller_id=call.caller_id,
                   flags=set(call.flags or ""), unlocked={int(i) for i in (call.unlocked or "").split("-") if i})

    def onto_row(self, call) -> None:
        """Copy the state onto a Call row (only changed columns become an UPDATE)."""
        for name in ("language", "step", "return_step", "misses", "silences", "errors"):
            if getattr(call, name) != getattr(self, name):
                setattr(call, name, getattr(self, name))
        if self.caller_id and call.caller_id != self.caller_id:
            call.caller_id = self.caller_id
        for name, text in (("flags", self.flag_text()), ("unlocked", self.unlocked_text())):
            if (getattr(call, name) or "") != text:
                setattr(call, name, text)
