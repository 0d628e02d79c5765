"""A tiny generic TwiML app for the simulator's tests: it knows nothing of Peerline.

Tests map paths to TwiML (a string, or a function of the form); every request is checked with
ivr.signing exactly as Peerline checks Twilio, and kept in `hits` for assertions.
"""
from __future__ import annotations

from flask import Flask, Response, request

from ivr.signing import signature_ok

TOKEN = "unit-test-token-0123456789"
SID = "AC" + "2" * 32
BASE = "https://app.example"
NUMBER = "+15005550006"


class TwimlApp:
    """Serves TwiML documents by path and records (path, form, signed) for every request."""

    def __init__(self, token: str = TOKEN):
        self.flask = Flask("twiml-app")
        self.flask.config.update(PUBLIC_BASE_URL=BASE, TWILIO_AUTH_TOKEN=token)
        self.docs: dict[str, object] = {}
        self.hits: list[tuple[str, dict, bool]] = []
        self.flask.add_url_rule("/<path:path>", "any", self._serve, methods=["GET", "POST"])

    def _serve(self, path):
        path = "/" + path
        # Media for <Play> is fetched like any public file; webhooks must be signed.
        ok = path.endswith(".wav") or signature_ok()
        form = request.form.to_dict() if request.method == "POST" else request.args.to_dict()
        self.hits.append((path, form, ok))
        if not ok:
            return Response("bad signature", 403)
        doc = self.docs.get(path)
        if doc is None:
            return Response("", 204) if path.startswith("/cb") else Response("not found", 404)
        if callable(doc):
            doc = doc(form)
        if isinstance(doc, Response):
            return doc
        return Response(doc, content_type="text/xml")

    def paths(self) -> list[str]:
        """Paths requested, in order."""
        return [h[0] for h in self.hits]

    def form(self, path: str, index: int = -1) -> dict:
        """The form of the last (or index-th) request to a path."""
        return [h[1] for h in self.hits if h[0] == path][index]


def xml(body: str) -> str:
    """Wrap verbs in a TwiML document."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


