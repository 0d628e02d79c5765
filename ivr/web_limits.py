"""App-wide HTTP guards: refuse oversized bodies before anything parses them; HSTS in production."""
from __future__ import annotations

import logging

from flask import Flask, abort, current_app, request

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the guards (app-level hooks run before every blueprint's signature check)."""
    app.before_request(refuse_large_bodies)
    app.after_request(strict_transport)


def refuse_large_bodies():
    """413 at once for a declared body over MAX_CONTENT_LENGTH: Twilio's webhooks are a few kB.

    Checked on the header before request.form is touched, so a slow or huge body never holds a
    worker; an undeclared (chunked) body is cut off by Werkzeug at the same limit.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and (request.content_length or 0) > limit:
        log.warning("refused a %s-byte body to %s", request.content_length, request.path)
        abort(413)


def strict_transport(response):
    """HSTS in production (PUBLIC_BASE_URL is https there): browsers never fall back to http."""
    value = hsts(current_app.config)
    if value:
        response.headers.setdefault("Strict-Transport-Security", value)
    return response


def hsts(config) -> str | None:
    """The Strict-Transport-Security value every answer carries in production, else None."""
    return "max-age=31536000; includeSubDomains" if config["PEERLINE_ENV"] == "production" else None
