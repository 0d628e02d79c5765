"""How the simulator reaches an app: signed like Twilio, in-process (WSGI test client) or over HTTP."""
from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator
from urllib.parse import urlencode
import base64
import requests

USER_AGENT = "TwilioProxy/1.1 (Peerline phone simulator)"


@dataclass
class Reply:
    """What an app answered: status, content type and body bytes."""

    status: int
    content_type: str
    body: bytes

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300


def signature_hint(url: str) -> str:
    """Why an app most likely answered 403 to a signed webhook, and the fix (printed with the error)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return (f" (the app refused the X-Twilio-Signature: it checks signatures against its own PUBLIC_BASE_URL, "
            f"and this call was signed for {origin}. Fix: start the server with PUBLIC_BASE_URL={origin} "
            f"(./dev up does), or call --url with exactly the server's PUBLIC_BASE_URL; "
            f"both sides also need the same TWILIO_AUTH_TOKEN)")


class TransportError(RuntimeError):
    """The app could not be reached at all (connection refused, timeout)."""


class Transport:
    """Signs and sends webhook requests; subclasses decide how the bytes travel."""

    #: Twilio gives up on a webhook after 15 s (and then tries the number's Fallback URL).
    timeout: float = 15.0

    def __init__(self, auth_token: str):
        self.validator = RequestValidator(auth_token)

    def signature(self, url: str, params: dict) -> str:
        """X-Twilio-Signature for an absolute URL and its POST params (Twilio's algorithm)."""
        return self.validator.compute_signature(url, params)

    def request(self, method: str, url: str, params: dict | None = None, auth=None,
                enforce_timeout: bool = True) -> Reply:
        """Send one webhook (POST form / GET query), signed over the full URL like Twilio."""
        method = method.upper()
        params = {k: str(v) for k, v in (params or {}).items() if v is not None}
        if method == "GET":
            # Twilio signs GETs over the URL alone, with the params already in its query string.
            if params:
                url += ("&" if "?" in url else "?") + urlencode(params)
            headers = {"X-Twilio-Signature": self.signature(url, {}), "User-Agent": USER_AGENT}
            return self._send("GET", url, None, headers, auth)
        headers = {"X-Twilio-Signature": self.signature(url, params), "User-Agent": USER_AGENT}
        started = time.monotonic()
        reply = self._send("POST", url, params, headers, auth)
        if enforce_timeout and time.monotonic() - started > self.timeout:
            # Over a socket requests raises this itself; in-process we can only notice afterwards.
            raise TransportError(f"POST {url} timed out after {self.timeout} s")
        return reply

    def fetch(self, url: str, auth=None) -> Reply:
        """A plain GET (media for <Play>), unsigned like Twilio's media fetches."""
        return self._send("GET", url, None, {"User-Agent": USER_AGENT}, auth)

    def _send(self, method, url, data, headers, auth) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError


class WsgiTransport(Transport):
    """Calls a WSGI app in-process: the absolute URL is mapped onto its path and raw query."""

    def __init__(self, app, auth_token: str, hosts: tuple[str, ...] | None = None):
        super().__init__(auth_token)
        self.app = app
        self.client = app.test_client()
        # Only URLs on these hosts reach the app; others (the internet) are unreachable offline.
        self.hosts = hosts

    def reaches(self, url: str) -> bool:
        """True when this URL is served by the in-process app."""
        return self.hosts is None or urlsplit(url).netloc in self.hosts

    def _send(self, method, url, data, headers, auth) -> Reply:
        if not self.reaches(url):
            raise TransportError(f"{urlsplit(url).netloc} is not reachable from the simulator")
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers = {**headers, "Authorization": f"Basic {token}"}
        base = f"{parts.scheme}://{parts.netloc}"
        response = self.client.open(target, method=method, data=data, headers=headers, base_url=base)
        try:
            return Reply(response.status_code, response.content_type or "", response.get_data())
        finally:
            response.close()


class HttpTransport(Transport):
    """Calls a running server over real HTTP with requests."""

    def __init__(self, auth_token: str, timeout: float = 15.0):
        super().__init__(auth_token)
        self.session = requests.Session()
        self.timeout = timeout
        self.hosts: set[str] = set()  # hosts of configured Voice URLs; media elsewhere is not fetched

    def reaches(self, url: str) -> bool:
        """True for URLs on the app's hosts (offline, the rest of the internet is out of reach)."""
        parts = urlsplit(url)
        return parts.scheme in {"http", "https"} and (not self.hosts or parts.netloc in self.hosts)

    def _send(self, method, url, data, headers, auth) -> Reply:
        try:
            r = self.session.request(method, url, data=data, headers=headers, auth=auth,
                                     timeout=self.timeout, allow_redirects=True)
        except requests.RequestException as exc:
            raise TransportError(f"{method} {url}: {exc}") from exc
        return Reply(r.status_code, r.headers.get("Content-Type", ""), r.content)
