"""Peerline's adapter over Twilio's REST API: the only place Peerline talks to Twilio REST.

It uses the real `twilio.rest.Client`. With real credentials and nothing else configured it
talks to Twilio unchanged; TWILIO_API_BASE points it at a simulator over HTTP, and a simulator
registered on `app.extensions["twilio_simulator"]` is reached in-process. Errors surface as
TelephonyError(message, transient); the adapter never retries — callers decide.
"""
from __future__ import annotations

import base64
import logging
import time
from urllib.parse import urlencode, urlsplit

from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
import requests

log = logging.getLogger(__name__)
API_BASE = "https://api.twilio.com"
DEFAULT_TIMEOUT = 10.0


class TelephonyError(RuntimeError):
    """A Twilio REST call failed; `transient` says whether trying again later may help."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


# -- HTTP clients the twilio Client can be given -----------------------------------------------
class BaseUrlHttpClient(TwilioHttpClient):
    """The stock client, with https://*.twilio.com rewritten onto another base (a simulator)."""

    def __init__(self, base: str, timeout: float = DEFAULT_TIMEOUT):
        super().__init__(timeout=timeout)
        self.base = base.rstrip("/")

    def rewrite(self, url: str) -> str:
        """Map a Twilio API URL onto the configured base; other URLs pass unchanged."""
        parts = urlsplit(url)
        if not (parts.hostname or "").endswith("twilio.com"):
            return url
        return self.base + parts.path + (f"?{parts.query}" if parts.query else "")

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False) -> Response:
        """Send the request to the rewritten URL."""
        return super().request(method, self.rewrite(url), params=params, data=data, headers=headers,
                               auth=auth, timeout=timeout, allow_redirects=allow_redirects)

    def get_bytes(self, url: str, auth) -> tuple[int, bytes]:
        """GET binary media (the twilio Response keeps only text)."""
        r = requests.get(self.rewrite(url), auth=auth, timeout=self.timeout, allow_redirects=True)
        return r.status_code, r.content


class WsgiHttpClient(HttpClient):
    """Sends the twilio Client's requests to an in-process WSGI app (the simulator's REST API)."""

    def __init__(self, wsgi_app, timeout: float = DEFAULT_TIMEOUT):
        super().__init__(logger=logging.getLogger("twilio.http_client"), is_async=False, timeout=timeout)
        self.app = wsgi_app

    def _open(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None):
        parts = urlsplit(url)
        query = parts.query
        if params:
            query = "&".join(q for q in (query, urlencode(params, doseq=True)) if q)
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        started = time.monotonic()
        with self.app.test_client() as client:
            r = client.open(parts.path + (f"?{query}" if query else ""), method=method.upper(),
                            data=data, headers=headers)
            body = r.get_data()
        limit = timeout or self.timeout
        if limit and time.monotonic() - started > limit:
            # What requests would have raised had this been a socket.
            raise requests.Timeout(f"{method} {parts.path} took longer than {limit} s")
        return r.status_code, body, dict(r.headers)

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False) -> Response:
        """Answer a twilio Client request through the WSGI app."""
        status, body, response_headers = self._open(method, url, params, data, headers, auth, timeout)
        self.last_response = Response(status, body.decode("utf-8", errors="replace"), response_headers)
        return self.last_response

    def get_bytes(self, url: str, auth) -> tuple[int, bytes]:
        """GET binary media."""
        status, body, _ = self._open("GET", url, auth=auth)
        return status, body


# -- the client --------------------------------------------------------------------------------
def client() -> Client:
    """A twilio Client for the configured account, pointed at Twilio or at a simulator."""
    app = current_app
    config = app.config
    sim = app.extensions.get("twilio_simulator")
    key = (id(sim), config["TWILIO_API_BASE"], config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
           config["TWILIO_TIMEOUT"])
    cached = app.extensions.get("peerline.twilio_client")
    if cached and cached[0] == key:
        return cached[1]
    timeout = float(config["TWILIO_TIMEOUT"])
    if sim is not None:
        http = WsgiHttpClient(sim.rest_app, timeout)
    elif config["TWILIO_API_BASE"]:
        http = BaseUrlHttpClient(config["TWILIO_API_BASE"], timeout)
    else:
        http = TwilioHttpClient(timeout=timeout)
    made = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http)
    app.extensions["peerline.twilio_client"] = (key, made)
    return made


def _call(what: str, fn):
    """Run one REST operation, turning every failure into a TelephonyError."""
    try:
        return fn()
    except TwilioRestException as exc:
        transient = exc.status == 429 or exc.status >= 500
        raise TelephonyError(f"{what}: HTTP {exc.status} (Twilio error {exc.code})", transient) from exc
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TelephonyError(f"{what}: {type(exc).__name__}", True) from exc
    except TwilioException as exc:
        # List pages fail as TwilioException("Unable to fetch page", response), not as a RestException.
        response = exc.args[1] if len(exc.args) > 1 else None
        status = getattr(response, "status_code", None)
        if status is not None:
            raise TelephonyError(f"{what}: HTTP {status}", status == 429 or status >= 500) from exc
        raise TelephonyError(f"{what}: {exc.args[0] if exc.args else exc}", False) from exc


# -- conferences -------------------------------------------------------------------------------
def list_participants(conference_sid: str) -> list[dict]:
    """The conference's current participants: call_sid, muted, hold, label, status, coaching."""
    def run():
        """List and flatten the participants."""
        items = client().conferences(conference_sid).participants.list()
        return [{"call_sid": p.call_sid, "muted": bool(p.muted), "hold": bool(p.hold), "label": p.label,
                 "status": p.status, "coaching": bool(p.coaching),
                 "end_conference_on_exit": bool(p.end_conference_on_exit),
                 "start_conference_on_enter": bool(p.start_conference_on_enter)} for p in items]
    return _call("list participants", run)


def set_muted(conference_sid: str, call_sid: str, muted: bool) -> None:
    """Mute or unmute one participant."""
    _call("mute participant",
          lambda: client().conferences(conference_sid).participants(call_sid).update(muted=muted))


def set_hold(conference_sid: str, call_sid: str, hold: bool) -> None:
    """Put one participant on hold or take them off it."""
    _call("hold participant",
          lambda: client().conferences(conference_sid).participants(call_sid).update(hold=hold))


def announce(conference_sid: str, url: str) -> None:
    """Play the TwiML at `url` to the whole conference."""
    _call("announce", lambda: client().conferences(conference_sid).update(announce_url=url, announce_method="POST"))


def remove_participant(conference_sid: str, call_sid: str) -> None:
    """Take one participant out of the conference (their <Dial> action runs)."""
    _call("remove participant", lambda: client().conferences(conference_sid).participants(call_sid).delete())


def end_conference(conference_sid: str) -> None:
    """End the conference for everyone."""
    _call("end conference", lambda: client().conferences(conference_sid).update(status="completed"))


# -- recordings --------------------------------------------------------------------------------
def fetch_recording(recording_sid: str) -> bytes:
    """The recording's WAV bytes.

    A 404 is transient here: Twilio answers 404 until a recording has been processed.
    """
    c = client()
    url = f"{API_BASE}/2010-04-01/Accounts/{c.account_sid}/Recordings/{recording_sid}.wav"
    try:
        status, body = _media_client(c).get_bytes(url, (c.username, c.password))
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TelephonyError(f"fetch recording: {type(exc).__name__}", True) from exc
    if status != 200:
        raise TelephonyError(f"fetch recording: HTTP {status}", status in {404, 429} or status >= 500)
    return body


def _media_client(c: Client):
    http = c.http_client
    if hasattr(http, "get_bytes"):
        return http
    return BaseUrlHttpClient(API_BASE, http.timeout or DEFAULT_TIMEOUT)


def delete_recording(recording_sid: str) -> None:
    """Delete Twilio's copy of a recording (once Peerline has stored its own)."""
    _call("delete recording", lambda: client().recordings(recording_sid).delete())


# -- calls and messages ------------------------------------------------------------------------
def create_call(to: str, url: str, status_callback: str | None = None) -> str:
    """Place an outbound call from Peerline's number that runs the TwiML at `url`; its CallSid."""
    config = current_app.config
    kwargs = {"to": to, "from_": config["TWILIO_NUMBER"], "url": url, "method": "POST"}
    if status_callback:
        kwargs.update(status_callback=status_callback, status_callback_method="POST")
    return _call("create call", lambda: client().calls.create(**kwargs).sid)


def redirect_call(call_sid: str, url: str) -> None:
    """Give a live call new TwiML from `url`."""
    _call("redirect call", lambda: client().calls(call_sid).update(url=url, method="POST"))


def send_sms(to: str, body: str) -> str:
    """Send a text message from Peerline's number; its MessageSid."""
    number = current_app.config["TWILIO_NUMBER"]
    return _call("send sms", lambda: client().messages.create(to=to, from_=number, body=body).sid)
