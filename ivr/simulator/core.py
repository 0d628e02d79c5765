"""The Simulator: numbers, calls, conference rooms, recordings, queued callbacks and the clock."""
from __future__ import annotations

import base64
import io
import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ivr.simulator.call import Call, Entry, Input
from ivr.simulator.conference import Rooms  # also registers <Dial><Conference> with the executor
from ivr.simulator.executor import AppError, Next, parse_twiml, run_call
from ivr.simulator.callbacks import CallbackMixin, Callback, Delivered  # noqa: F401
from ivr.simulator.faults import Faults
from ivr.simulator.recordings import RecordingStore
from ivr.simulator.rest import create_rest_app
from ivr.simulator.transport import HttpTransport, Reply, TransportError, WsgiTransport, signature_hint
from werkzeug.serving import make_server
from pydub import AudioSegment

log = logging.getLogger(__name__)
API_BASE = "https://api.twilio.com"
MAX_SETTLE_STEPS = 10_000


class SimulatorError(RuntimeError):
    """The app did something Twilio would reject (strict mode raises it to the test)."""


@dataclass
class Number:
    """A phone number on the simulated account, configured like Twilio's console."""

    number: str
    voice_url: str
    voice_method: str = "POST"
    status_callback: str | None = None
    status_method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"


class Simulator(CallbackMixin):
    """A stand-in for Twilio: places calls into an app and serves the REST API it calls back."""

    def __init__(self, transport, account_sid: str, auth_token: str, api_base: str = API_BASE):
        self.transport = transport
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_base = api_base.rstrip("/")
        self.numbers: dict[str, Number] = {}
        self.calls: list[Call] = []
        self.by_sid: dict[str, Call] = {}
        self.recordings = RecordingStore(self)
        self.rooms = Rooms(self)
        self.outbox: list[dict] = []  # messages sent through the REST API
        self.callbacks: deque[Callback] = deque()
        self.delivered: list[Delivered] = []
        self.tasks: deque = deque()  # work the REST API queued (never run inside its request)
        self.faults = Faults()
        self.clock = 0.0
        self.auto_settle = True
        self.strict = True
        self.phones: dict[str, dict] = {}  # outbound: number -> {"answer":..., "script": [...]}
        self.dial_outcomes: dict[str, tuple[str, int]] = {}
        self.lock = threading.RLock()
        self.errors: list[str] = []
        self._raised = 0
        self._media_cache: dict[str, tuple[float | None, str | None]] = {}
        self._media_audio: dict = {}
        self._rest_app = None
        self._server = None

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def in_process(cls, app, account_sid: str | None = None, auth_token: str | None = None,
                   base_url: str | None = None) -> "Simulator":
        """A simulator calling a Flask app through its test client; URLs on base_url reach it."""
        token = auth_token or app.config["TWILIO_AUTH_TOKEN"]
        sid = account_sid or app.config.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32
        hosts = (urlsplit(base_url).netloc,) if base_url else None
        sim = cls(WsgiTransport(app, token, hosts), sid, token)
        sim.attach(app)
        return sim

    @classmethod
    def over_http(cls, account_sid: str, auth_token: str, timeout: float = 15.0) -> "Simulator":
        """A simulator calling a running server over real HTTP."""
        return cls(HttpTransport(auth_token, timeout), account_sid, auth_token)

    def attach(self, app) -> None:
        """Register on app.extensions so an adapter in the app can reach this REST API in-process."""
        app.extensions["twilio_simulator"] = self

    def add_number(self, number: str, voice_url: str, voice_method: str = "POST",
                   status_callback: str | None = None, status_method: str = "POST",
                   fallback_url: str | None = None, fallback_method: str = "POST") -> Number:
        """Configure a number's Voice URL, status callback and fallback URL (Twilio's console settings)."""
        self.numbers[number] = Number(number, voice_url, voice_method.upper(), status_callback, status_method.upper(),
                                      fallback_url, fallback_method.upper())
        if isinstance(getattr(self.transport, "hosts", None), set):
            self.transport.hosts.add(urlsplit(voice_url).netloc)
        return self.numbers[number]

    @property
    def rest_app(self):
        """The Flask app serving the simulated Twilio REST API."""
        if self._rest_app is None:
            self._rest_app = create_rest_app(self)
        return self._rest_app

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the REST API over HTTP in a background thread; return its base URL."""
        self._server = make_server(host, port, self.rest_app, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="twilio-sim-rest").start()
        return f"http://{host}:{self._server.server_port}"

    def close(self) -> None:
        """Stop the HTTP REST server if one runs."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    # -- placing calls -----------------------------------------------------------------------
    def new_sid(self, prefix: str) -> str:
        """A fresh Twilio-shaped sid (two letters and 32 hex digits)."""
        return prefix + uuid.uuid4().hex

    def call(self, from_: str, to: str | None = None, script=None, hangup_after_prompts: int | None = None) -> Call:
        """Place an inbound call to one of our numbers; returns once it waits or has ended."""
        if to is None:
            if not self.numbers:
                raise SimulatorError("no number configured: call add_number() first")
            to = next(iter(self.numbers))
        number = self.numbers.get(to)
        if number is None:
            raise SimulatorError(f"{to} is not a number on this account")
        call = self._new_call(from_, to, "inbound", script, number.status_callback, number.status_method)
        call.hangup_after_prompts = hangup_after_prompts
        if number.fallback_url:
            call.fallback = Next(number.fallback_url, number.fallback_method)
        self._start(call, Next(number.voice_url, number.voice_method))
        self._after_step()
        return call

    def _new_call(self, from_, to, direction, script, status_callback, status_method) -> Call:
        call = Call(self, self.new_sid("CA"), from_, to, direction, script, status_callback, status_method)
        with self.lock:
            self.calls.append(call)
            self.by_sid[call.sid] = call
        return call

    def _start(self, call: Call, first: Next) -> None:
        call._gen = run_call(self, call, first)
        self._advance(call, None)

    def _advance(self, call: Call, inp: Input | None) -> None:
        """Run a call's TwiML until it waits again or ends."""
        try:
            if inp is None:
                next(call._gen)
            else:
                call._gen.send(inp)
        except StopIteration:
            pass

    def feed(self, call: Call, inp: Input) -> Call:
        """Give a waiting call the caller's input, then let everything settle."""
        if call.ended:
            raise SimulatorError(f"call {call.sid} has ended ({call.status}); cannot {inp.kind}")
        if call.waiting is None:
            raise SimulatorError(f"call {call.sid} is not waiting for input")
        allowed = {
            "gather": {"digits", "speech", "silence", "hangup"},
            "record": {"record", "silence", "hangup", "digits"},
            "conference": {"digits", "silence", "hangup", "talk"},
        }[call.waiting.kind]
        if inp.kind not in allowed:
            raise SimulatorError(f"call {call.sid} waits in a {call.waiting.kind}; {inp.kind} does not fit")
        self._advance(call, inp)
        self._after_step()
        return call

    def _after_step(self) -> None:
        if self.auto_settle:
            self.settle()
        if self.strict and len(self.errors) > self._raised:
            first = self.errors[self._raised]
            self._raised = len(self.errors)
            raise SimulatorError(first)

    def settle(self) -> None:
        """Deliver queued callbacks and REST effects, feed scripted callers, until nothing moves."""
        for _ in range(MAX_SETTLE_STEPS):
            if not self._step_once():
                return
        raise SimulatorError("the simulation did not settle (a loop between app and simulator?)")

    def _step_once(self) -> bool:
        with self.lock:
            task = self.tasks.popleft() if self.tasks else None
        if task is not None:
            task()
            return True
        for call in list(self.calls):
            if call.waiting is not None and call.events:
                with self.lock:
                    event = call.events.popleft()
                self._advance(call, Input("event", event))
                return True
        if self.callbacks and not self.faults.hold_callbacks:
            self._deliver_one()
            return True
        for call in list(self.calls):
            if call.waiting is not None and call.script:
                self._advance(call, call.script.popleft())
                return True
        return False

    def release_callbacks(self) -> None:
        """Deliver the callbacks held back by `faults.hold_callbacks`."""
        self.faults.hold_callbacks = False
        self.settle()

    # -- requests to the app -----------------------------------------------------------------
    def call_params(self, call: Call) -> dict:
        """The standard parameters Twilio sends with every voice webhook of a call."""
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": call.sid,
            "CallStatus": call.status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": call.direction,
            "From": call.from_,
            "To": call.to,
            "FromCountry": "US",
            "ToCountry": "US",
        }

    def fetch_twiml(self, call: Call, nxt: Next, ignore_errors: bool = False):
        """Request a document for a call (signed) and parse it; (root, url) for relative actions."""
        if nxt.twiml is not None:
            return parse_twiml(nxt.twiml, "the REST API"), nxt.url or ""
        try:
            return self._fetch(call, nxt, ignore_errors)
        except AppError as exc:
            if call.fallback is None or nxt is call.fallback or ignore_errors:
                raise
            # Twilio requests the number's Fallback URL when a document cannot be fetched or parsed.
            call.transcript.append(Entry("note", f"fallback after: {exc}", self.clock))
            code = "11200" if "HTTP" in str(exc) or "reach" in str(exc) or "timed out" in str(exc) else "12100"
            fallback = Next(call.fallback.url, call.fallback.method,
                            {**(nxt.params or {}), "ErrorCode": code, "ErrorUrl": nxt.url})
            root, _ = self._fetch(call, fallback, False)
            return root, fallback.url

    def _fetch(self, call: Call, nxt: Next, ignore_errors: bool):
        params = {**self.call_params(call), **(nxt.params or {})}
        call.requests.append((nxt.method, nxt.url, params))
        try:
            reply = self.transport.request(nxt.method, nxt.url, params)
        except TransportError as exc:
            if ignore_errors:
                return None, nxt.url
            raise AppError(str(exc)) from exc
        if self.faults.early_callbacks and not self.faults.hold_callbacks:
            while self.callbacks:  # the webhook has returned: nothing of the app's is held any more
                self._deliver_one()
        if ignore_errors:
            return None, nxt.url
        if not reply.ok:
            hint = signature_hint(nxt.url) if reply.status == 403 else ""
            raise AppError(f"HTTP {reply.status} from {nxt.method} {nxt.url}{hint}")
        return parse_twiml(reply.body, nxt.url), nxt.url

    def absolute(self, url: str, base: str) -> str:
        """Resolve a TwiML URL against the document it appeared in (as Twilio does)."""
        return urljoin(base, url) if base else url

    def media_length(self, url: str) -> tuple[float | None, str | None]:
        """Seconds of audio at a URL, fetched like <Play> does; (None, reason) when it cannot be."""
        if url in self._media_cache:
            return self._media_cache[url]
        result: tuple[float | None, str | None]
        try:
            if url.startswith(self.api_base):
                reply = self.rest_request("GET", url)
            elif self.transport.reaches(url):
                reply = self.transport.fetch(url)
            else:
                return None, "not fetched (outside the simulation)"
            if not reply.ok:
                result = (None, f"HTTP {reply.status}")
            else:
                audio = AudioSegment.from_file(io.BytesIO(reply.body))
                self._media_audio[url] = audio
                result = (round(len(audio) / 1000.0, 2), None)
        except Exception as exc:  # an unplayable file is Twilio's error 12300, not ours to crash on
            result = (None, f"unplayable: {exc}"[:200])
        self._media_cache[url] = result
        return result

    def media_audio(self, url: str):
        """The decoded audio a <Play> of this URL played, if it could be fetched (for --speak)."""
        self.media_length(url)
        return self._media_audio.get(url)

    def rest_request(self, method: str, url: str, data: dict | None = None):
        """Call this simulator's own REST API in-process (with the account's credentials)."""
        parts = urlsplit(url)
        token = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        with self.rest_app.test_client() as client:
            r = client.open(parts.path + (f"?{parts.query}" if parts.query else ""), method=method, data=data,
                            headers={"Authorization": f"Basic {token}"})
            return Reply(r.status_code, r.content_type or "", r.get_data())

    # -- outbound calls (REST Calls create) --------------------------------------------------
    def phone(self, number: str, script=None, answer: str = "answer") -> None:
        """Script the phone at `number` for calls placed to it: answer, busy, no-answer or failed."""
        self.phones[number] = {"script": list(script or []), "answer": answer}

    def calls_to(self, number: str) -> list[Call]:
        """Calls placed to a number (outbound legs), oldest first."""
        return [c for c in self.calls if c.to == number and c.direction == "outbound-api"]

    def place_outbound(self, to: str, from_: str, url: str | None, method: str, twiml: str | None,
                       status_callback: str | None, status_method: str, events) -> Call:
        """Create an outbound call (REST); it rings once the current request has been answered."""
        behaviour = self.phones.get(to, {})
        call = self._new_call(from_, to, "outbound-api", behaviour.get("script"), status_callback, status_method)
        call.answer = behaviour.get("answer", "answer")
        call.callback_events = set(" ".join(events or []).split()) or {"completed"}
        first = Next(url, method) if url else Next(twiml=twiml)
        self.tasks.append(lambda: self._ring(call, first))
        return call

    def _ring(self, call: Call, first: Next) -> None:
        if any(event[0] == "end" for event in call.events):
            call.events.clear()
            call.status = "canceled"
        elif call.answer != "answer":
            call.status = call.answer
        else:
            for event, status in (("initiated", "queued"), ("ringing", "ringing"), ("answered", "in-progress")):
                self._progress(call, event, status)
            self._start(call, first)
            return
        call.started_at = call.ended_at = self.clock
        self.call_ended(call)

    def _progress(self, call: Call, event: str, status: str) -> None:
        if event not in call.callback_events:
            return
        call._callback_seq += 1
        params = {**self.call_params(call), "CallStatus": status, "CallbackSource": "call-progress-events",
                  "SequenceNumber": str(call._callback_seq), "Timestamp": self.timestamp()}
        self.queue_callback("call-status", call.status_callback, call.status_method, params, call.sid)

    def dial_outcome(self, number: str) -> tuple[str, int]:
        """How a <Dial><Number> ends: scripted per number, else answered for a short talk."""
        return self.dial_outcomes.get(number, ("completed", 30))

    def call_by_sid(self, sid: str) -> Call | None:
        """A call by its CallSid."""
        return self.by_sid.get(sid)
