"""A simulated phone call: its identity, what the caller heard, and the handle tests drive."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ivr.simulator.core import Simulator

FINAL = {"completed", "busy", "failed", "no-answer", "canceled"}


@dataclass
class Entry:
    """One thing in a call's transcript: something heard, pressed, said, recorded or an event."""

    kind: str  # say play pause beep press speech silence record dial conference wait-music
    #            announce hold note error hangup reject redirect
    text: str = ""
    at: float = 0.0
    attrs: dict = field(default_factory=dict)
    interrupted: bool = False

    def line(self) -> str:
        """A human-readable line for terminals and assertion messages."""
        mark = " [interrupted]" if self.interrupted else ""
        if self.kind == "say":
            return f"{self.text}{mark}"
        if self.kind in {"play", "wait-music", "announce", "hold"}:
            secs = self.attrs.get("seconds")
            length = f" ({secs:.1f} s)" if isinstance(secs, (int, float)) else ""
            return f"[{self.kind} {self.text}{length}]{mark}"
        if self.kind == "press":
            return f"> pressed {self.text}"
        if self.kind == "speech":
            return f"> said {self.text!r}"
        return f"[{self.kind}{' ' + self.text if self.text else ''}]{mark}"


@dataclass
class Input:
    """What the caller (or the network) does at a point where the call waits."""

    kind: str  # digits speech silence record hangup event
    value: Any = None
    barge_in: bool = False
    finish_key: str | None = None
    hangup: bool = False  # a recording the caller ends by hanging up


@dataclass
class Wait:
    """Why a call's TwiML is paused: a Gather, a Record or a conference leg."""

    kind: str  # gather record conference
    spec: dict = field(default_factory=dict)


def parse_script_item(item: str) -> Input:
    """One script item: digits ("1", "12#", "!1" barge-in), "say words", "rec file.wav [#|hangup]", "wait", "hangup"."""
    item = item.strip()
    low = item.lower()
    if low in {"", "-", "wait", "silence", "timeout"}:
        return Input("silence")
    if low in {"hangup", "q", "quit"}:
        return Input("hangup")
    if low.startswith("say "):
        return Input("speech", item[4:].strip())
    if low.startswith("rec "):
        parts = item[4:].split()
        end = parts[1] if len(parts) > 1 else None
        if end == "hangup":
            return Input("record", parts[0], hangup=True)
        return Input("record", parts[0], finish_key=end)
    barge = item.startswith("!")
    digits = item[1:] if barge else item
    if not digits or any(ch not in "0123456789*#w" for ch in digits):
        raise ValueError(f"not a script item: {item!r}")
    return Input("digits", digits, barge_in=barge)


class Call:
    """A simulated call leg. Drive it step by step: press, say, record, silence, wait, hangup."""

    def __init__(self, sim: "Simulator", sid: str, from_: str, to: str, direction: str,
                 script=None, status_callback: str | None = None, status_method: str = "POST"):
        self.sim = sim
        self.sid = sid
        self.from_ = from_
        self.to = to
        self.direction = direction
        self.status = "queued"
        self.transcript: list[Entry] = []
        self.script: deque[Input] = deque(parse_script_item(s) if isinstance(s, str) else s
                                          for s in (script or []))
        self.status_callback = status_callback
        self.status_method = status_method
        self.waiting: Wait | None = None
        self.events: deque = deque()  # redirects, removals, hang-ups from the REST API
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.error: str | None = None
        self.hangup_after_prompts: int | None = None  # fault: hang up while this prompt plays
        self.answer = "answer"  # outbound: answer, busy, no-answer, failed
        self.conference = None  # the room while in a conference leg
        self.requests: list[tuple[str, str, dict]] = []  # (method, url, params) sent to the app
        self.docs_since_wait = 0  # guards against redirect loops
        self.fallback = None  # the number's Fallback URL, as a Next
        self.callback_events = {"completed"}  # StatusCallbackEvent of the call
        self._gen = None
        self._callback_seq = 0

    # -- what happened -------------------------------------------------------------------
    @property
    def ended(self) -> bool:
        """True once the call has a final status."""
        return self.status in FINAL

    def said(self) -> list[str]:
        """Every <Say> text the caller heard, in order (interrupted prompts included)."""
        return [e.text for e in self.transcript if e.kind == "say"]

    def heard(self) -> str:
        """All spoken text the caller heard, joined by spaces (for `in` assertions)."""
        return " ".join(self.said())

    def entries(self, kind: str) -> list[Entry]:
        """Transcript entries of one kind."""
        return [e for e in self.transcript if e.kind == kind]

    def lines(self) -> list[str]:
        """The transcript as printable lines."""
        return [e.line() for e in self.transcript]

    def mark(self) -> int:
        """A position in the transcript; pass it to `since` to see only what came after."""
        return len(self.transcript)

    def since(self, mark: int) -> str:
        """Spoken text heard after a `mark()`."""
        return " ".join(e.text for e in self.transcript[mark:] if e.kind == "say")

    def __repr__(self) -> str:
        return f"<Call {self.sid} {self.from_}->{self.to} {self.status} waiting={self.waiting and self.waiting.kind}>"

    # -- driving -------------------------------------------------------------------------
    def press(self, digits: str, barge_in: bool = False) -> "Call":
        """Press keys where the call waits (barge_in: during the prompt, interrupting it)."""
        return self.sim.feed(self, Input("digits", digits, barge_in=barge_in))

    def say(self, words: str) -> "Call":
        """Speak words where the call waits for speech."""
        return self.sim.feed(self, Input("speech", words))

    def silence(self) -> "Call":
        """Say and press nothing: the Gather or Record times out."""
        return self.sim.feed(self, Input("silence"))

    def record(self, wav_path, finish_key: str | None = None, hangup: bool = False) -> "Call":
        """Speak a WAV file into a <Record>; end with a key, by silence, or by hanging up."""
        return self.sim.feed(self, Input("record", str(wav_path), finish_key=finish_key, hangup=hangup))

    def hangup(self) -> "Call":
        """The caller hangs up."""
        return self.sim.feed(self, Input("hangup"))

    def wait(self, seconds: float = 0.0) -> "Call":
        """Let time pass and pending callbacks and events run (a conference leg stays)."""
        self.sim.clock += seconds
        self.sim.settle()
        return self

    def talk(self, seconds: float = 2.0) -> "Call":
        """Speak inside a conference (speaker events for the conference's status callback)."""
        return self.sim.feed(self, Input("talk", seconds))
