"""A frozen PostgreSQL (SIGSTOP): callers hear Peerline's own apology with the crisis number within
10 s, /healthz answers 503 within 5 s, and everything works again once it thaws."""
from __future__ import annotations

import threading
import time

from tests.conftest import SigningClient
from tests.calls.test_voice_incoming import NUMBER
from tests.twiml import parse, spoken

CRISIS_SLOW = "1, 5, 5, 5, 0, 1, 0, 0, 9, 8, 8"


def bounded(fn, limit: float):
    """Run fn in a thread; (result, seconds) or (None, limit) when it did not return in time."""
    box = {}
    started = time.monotonic()
    worker = threading.Thread(target=lambda: box.setdefault("r", fn()), daemon=True)
    worker.start()
    worker.join(limit)
    return box.get("r"), time.monotonic() - started


def post_call(twilio, path, **form):
    return twilio.post(path, {"CallSid": "CA1", "From": NUMBER, "To": "+15550001111",
                              "AccountSid": "AC" + "1" * 32, **form})


def test_a_frozen_database_gets_callers_an_apology_within_10s_and_healthz_503_within_5s(pg_app, private_pg):
    twilio = SigningClient(pg_app)
    parse(post_call(twilio, "/voice/incoming"))  # a live call: the pool holds a connection
    assert pg_app.test_client().get("/healthz").status_code == 200
    private_pg.pause()
    try:
        response, took = bounded(lambda: post_call(twilio, "/voice/step/language/input", Digits="1"), 20)
        assert response is not None, "the webhook hung (Twilio would have given up at 15 s)"
        root = parse(response)
        assert took < 10, took
        assert "something went wrong" in spoken(root) and CRISIS_SLOW in spoken(root)
        health, took = bounded(lambda: pg_app.test_client().get("/healthz"), 15)
        assert health is not None and health.status_code == 503 and took < 5, (health, took)
        # A brand-new connection (nothing pooled) is bounded by the connect timeout too.
        from ivr.extensions import db
        with pg_app.app_context():
            db.engine.dispose()
        response, took = bounded(lambda: post_call(twilio, "/voice/incoming", CallSid="CA2"), 20)
        assert response is not None and took < 10, took
        assert "something went wrong" in spoken(parse(response))
    finally:
        private_pg.resume()
    root = parse(post_call(twilio, "/voice/step/language/input", Digits="1"))  # thawed: normal service
    assert "something went wrong" not in spoken(root)
    assert pg_app.test_client().get("/healthz").status_code == 200
