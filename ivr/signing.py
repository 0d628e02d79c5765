"""Twilio webhook signature check (X-Twilio-Signature), failing closed."""
from __future__ import annotations

import logging
from functools import lru_cache, wraps

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator, compare

log = logging.getLogger(__name__)


def public_url() -> str:
    """The URL Twilio called: PUBLIC_BASE_URL + path + the raw (undecoded) query string."""
    return url_called(current_app.config["PUBLIC_BASE_URL"], request.path, request.query_string.decode("latin-1"))


def url_called(base: str, path: str, query: str) -> str:
    """The URL Twilio signed for a request to `path` with the raw query string `query`."""
    return base + path + (f"?{query}" if query else "")


def signature_ok() -> bool:
    """True when the request carries a valid Twilio signature for our configured token."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    # The MultiDict itself: RequestValidator reads repeated keys through getlist().
    return signed_by_twilio(token, public_url(), request.form if request.method == "POST" else {}, signature)


def signed_by_twilio(token: str, url: str, params, signature: str) -> bool:
    """True when `signature` is Twilio's for this URL and form (both exactly as received)."""
    validator = _validator(token)
    # Twilio signs the URL exactly as configured: one HMAC settles almost every request. Only a
    # mismatch pays for the library's full check (with and without the port, bodySHA256).
    # twilio's own constant-time compare: any header text is a plain False, never an exception.
    if compare(validator.compute_signature(url, params), signature):
        return True
    return validator.validate(url, params, signature)


@lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def require_twilio_signature() -> None:
    """before_request hook: 403 unless Twilio signed this request."""
    if not signature_ok():
        log.warning("rejected unsigned or badly signed webhook to %s", request.path)
        abort(403)


def twilio_signed(view):
    """Decorator form of the signature check for single routes outside the voice blueprint."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        require_twilio_signature()
        return view(*args, **kwargs)
    return wrapper
