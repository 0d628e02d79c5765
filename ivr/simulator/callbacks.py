"""Callbacks Twilio owes the app (call status, recording status, conference events), queued and
delivered later by `Simulator.settle`, never inside a request the app is making."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from ivr.simulator.transport import TransportError

log = logging.getLogger(__name__)


@dataclass
class Callback:
    """An asynchronous request Twilio owes the app (status callbacks, recording callbacks)."""

    kind: str
    url: str
    method: str
    params: dict
    call_sid: str | None = None


@dataclass
class Delivered:
    """A callback as delivered, with the app's answer."""

    kind: str
    url: str
    params: dict
    status: int


class CallbackMixin:
    """The Simulator's side of asynchronous delivery (expects callbacks, delivered, faults, lock)."""

    def queue_callback(self, kind: str, url: str | None, method: str, params: dict, call_sid: str | None = None) -> None:
        """Owe the app an asynchronous request (delivered by settle, never inside a request)."""
        if not url:
            return
        with self.lock:
            for _ in range(1 + self.faults.duplicate_callbacks):
                self.callbacks.append(Callback(kind, url, method.upper(), dict(params), call_sid))

    def _deliver_one(self) -> None:
        with self.lock:
            cb = self.callbacks.pop() if self.faults.reorder_callbacks else self.callbacks.popleft()
        try:
            # A slow callback is only logged by Twilio; it does not fail a call.
            status = self.transport.request(cb.method, cb.url, cb.params, enforce_timeout=False).status
        except TransportError as exc:
            status = 0
            log.warning("callback %s to %s failed: %s", cb.kind, cb.url, exc)
        self.delivered.append(Delivered(cb.kind, cb.url, cb.params, status))
        if not 200 <= status < 300:
            self.errors.append(f"{cb.kind} callback to {cb.url} answered HTTP {status}")

    def callbacks_of(self, kind: str) -> list[Delivered]:
        """Delivered callbacks of one kind (call-status, recording-status, conference)."""
        return [d for d in self.delivered if d.kind == kind]

    def call_ended(self, call) -> None:
        """A call has its final status: queue the status callback and record any error."""
        if call.error:
            self.errors.append(f"call {call.sid}: {call.error}")
        if call.conference is not None:
            call.conference.leave_call(call, "participant-hangup")
        if "completed" not in call.callback_events:
            return
        call._callback_seq += 1
        duration = int(max(0, (call.ended_at or 0) - (call.started_at or 0)) + 0.5)
        params = {**self.call_params(call), "CallDuration": str(duration), "Duration": str(max(1, (duration + 59) // 60)),
                  "CallbackSource": "call-progress-events", "SequenceNumber": str(call._callback_seq),
                  "Timestamp": self.timestamp()}
        self.queue_callback("call-status", call.status_callback, call.status_method, params, call.sid)

    def recording_status(self, call, rec, element, doc_url: str = "", status: str = "completed") -> None:
        """Queue the recordingStatusCallback of a <Record>: completed, or absent when nothing was said."""
        events = (element.get("recordingStatusCallbackEvent") or "completed").replace(",", " ").split()
        url = element.get("recordingStatusCallback")
        if status not in events or not url:
            return
        sid = rec.sid if rec is not None else self.new_sid("RE")
        params = {"AccountSid": self.account_sid, "CallSid": call.sid, "RecordingSid": sid,
                  "RecordingUrl": rec.url if rec is not None
                  else f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}",
                  "RecordingStatus": status, "RecordingDuration": str(rec.duration if rec is not None else 0),
                  "RecordingChannels": "1", "RecordingSource": "RecordVerb", "RecordingStartTime": self.timestamp()}
        self.queue_callback("recording-status", self.absolute(url, doc_url),
                            element.get("recordingStatusCallbackMethod", "POST"), params, call.sid)

    def timestamp(self) -> str:
        """The simulated clock as an RFC 2822 date, like Twilio's Timestamp parameter."""
        return format_datetime(datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=self.clock))

    def timestamp_at(self, at: float | None) -> str | None:
        """A point on the simulated clock as an RFC 2822 date."""
        if at is None:
            return None
        saved, self.clock = self.clock, at
        try:
            return self.timestamp()
        finally:
            self.clock = saved
