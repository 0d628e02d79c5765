"""Health check, and voice routes that apologise instead of answering 500."""
import pytest
from sqlalchemy import text

from ivr.extensions import db
from tests.conftest import REDIS_URL
from tests.calls.test_voice_incoming import call
from tests.twiml import spoken


def test_healthz_reports_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["checks"]["database"] == "ok"


def test_healthz_leaves_redis_out_when_jobs_run_inline(client):
    assert "redis" not in client.get("/healthz").json["checks"]


@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL}])
def test_healthz_reports_redis_when_configured(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json["checks"]["redis"] == "ok"


@pytest.mark.parametrize("app_config", [{"REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_healthz_reports_an_unreachable_redis(client):
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json["checks"]["redis"].startswith("error")


def test_unknown_step_apologises_with_crisis_number(twilio):
    root = call(twilio, path="/voice/step/no_such_step")
    said = spoken(root)
    assert "something went wrong" in said and "1, 5, 5, 5, 0, 1, 0, 0, 9, 8, 8" in said
    assert root.find("Redirect").text.endswith("/voice/step/main_menu")


def test_database_failure_still_answers_twiml(twilio, app, monkeypatch):
    call(twilio)
    from ivr.calls import engine

    def broken(*args, **kwargs):
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(engine, "handle_input", broken)
    first = call(twilio, path="/voice/step/main_menu/input", Digits="1")
    assert "something went wrong" in spoken(first)
    # A fault that persists ends kindly instead of looping.
    second = call(twilio, path="/voice/step/main_menu/input", Digits="1")
    assert second.find("Hangup") is not None


def test_apology_is_in_the_callers_language(twilio):
    call(twilio)
    call(twilio, path="/voice/step/language/input", Digits="2")  # Spanish
    root = call(twilio, path="/voice/step/no_such_step")
    assert "Perdón, algo falló" in spoken(root) and root.find("Say").get("language") == "es-US"
