"""Remembered keypresses answered in front of Flask: a menu move from memory needs no request context.

A WSGI middleware around the Flask app. A POST to a step's input URL with a call-state segment is
read, its form parsed as Werkzeug parses it, its signature checked by the same function the voice
blueprint uses (ivr.signing) before anything else, and the remembered answer
(ivr.calls.menu_moves) sent if there is one. Anything else goes to Flask untouched, body
included: no memory of this move, an unsigned or badly signed request, a body too large or not
a form, any error on the way. So every answer
is the one Flask would give; only what it costs differs (Flask's hooks, routing and request
context were half of a remembered keypress).
"""
from __future__ import annotations

import io
import logging
import re
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.datastructures import MultiDict

from ivr.calls import menu_moves
from ivr.calls.call_state import PREFIX
from ivr.calls.twiml import CONTENT_TYPE
from ivr.signing import signed_by_twilio, url_called
from ivr.web_limits import hsts

log = logging.getLogger(__name__)
_INPUT_URL = re.compile(rf"^{PREFIX}/([^/]+)/voice/step/([a-z0-9_]{{1,64}})/input$")
_FORM = "application/x-www-form-urlencoded"


class FastLane:
    """WSGI middleware: remembered menu moves answered before Flask, everything else passed on."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        """Answer a remembered move, or hand the request (with its body) to Flask."""
        found = _INPUT_URL.match(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "POST" else None
        if found is not None:
            try:
                body = self._remembered(environ, *found.groups())
            except Exception:  # Flask gives this request its full treatment, errors included
                log.debug("fast lane passed a request on", exc_info=True)
                body = None
            if body is not None:
                headers = [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
                strict = hsts(self.app.config)  # what ivr.web_limits adds to Flask's answers
                if strict:
                    headers.append(("Strict-Transport-Security", strict))
                start_response("200 OK", headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def _remembered(self, environ, state: str, step: str) -> bytes | None:
        """The remembered answer's bytes, if this signed request is a move we remember."""
        config = self.app.config
        length = environ.get("CONTENT_LENGTH", "")
        limit = config["MAX_CONTENT_LENGTH"]
        if not length.isdigit() or (limit and int(length) > limit):
            return None
        if not environ.get("CONTENT_TYPE", "").startswith(_FORM):
            return None
        raw = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(raw)  # Flask reads the same body if we pass it on
        form = MultiDict(parse_qsl(raw.decode(), keep_blank_values=True, errors="werkzeug.url_quote"))
        token, signature = config["TWILIO_AUTH_TOKEN"], environ.get("HTTP_X_TWILIO_SIGNATURE", "")
        query = environ.get("QUERY_STRING", "")
        url = url_called(config["PUBLIC_BASE_URL"], environ["PATH_INFO"], query)
        if not (token and signature and signed_by_twilio(token, url, form, signature)):
            return None  # Flask refuses it (403) and logs why; memory is not even consulted
        moves = menu_moves.of(self.app)
        key = moves.key(self.app.extensions["peerline.flows"], step, state, menu_moves.inputs_of(query, form))
        remembered = moves.recall(key, state, config)
        if remembered is None:
            return None
        moves.recalled += 1
        return remembered[0].encode()


def install(app: Flask) -> None:
    """Put the fast lane in front of the app's WSGI callable."""
    app.wsgi_app = FastLane(app, app.wsgi_app)
