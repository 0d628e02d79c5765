"""Issue 13, web: large bodies refused before parsing, sign-out revokes copied cookies, a `next`
with a newline, the sign-in limit without Redis, HSTS in production."""
from __future__ import annotations

import time

import pytest

from tests.conftest import base_config
from tests.staff.conftest import PASSWORD, csrf_token, make_staff, sign_in


def test_a_huge_webhook_body_is_refused_in_milliseconds_before_the_signature_check(app, client):
    body = b"CallSid=CA1&Junk=" + b"x" * (3_900_000)
    started = time.monotonic()
    response = client.post("/voice/step/main_menu/input", data=body,
                           headers={"X-Twilio-Signature": "bogus", "Content-Type": "application/x-www-form-urlencoded"})
    took = time.monotonic() - started
    assert response.status_code == 413 and took < 0.5, (response.status_code, took)
    for path in ("/voice/shares/recording", "/staff/login"):
        assert client.post(path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 413


def test_normal_webhooks_still_fit(twilio):
    response = twilio.post("/voice/incoming", {"CallSid": "CA1", "From": "+15551234567", "Junk": "y" * 8000})
    assert response.status_code == 200


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client):
    make_staff(app, "moderator")
    assert sign_in(client, "moderator@peerline.test").status_code == 302
    cookie = client.get_cookie("session").value
    thief = app.test_client()  # another browser holding a copy of the cookie
    thief.set_cookie("session", cookie)
    assert thief.get("/staff/").status_code == 200
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert thief.get("/staff/").status_code == 302  # back to sign-in


def test_a_password_change_signs_out_everywhere(app, staff):
    admin, mod = staff("admin"), staff("moderator")
    assert mod.get("/staff/").status_code == 200
    admin.post(f"/staff/admin/staff/{mod.id}/password", {"password": "another long password"})
    assert mod.get("/staff/").status_code == 302


@pytest.mark.parametrize("target", ["/staff/\nSet-Cookie: x=1", "/staff/\r\n", "/staff/ admin", "/staff/\x00"])
def test_next_with_control_characters_goes_to_the_default_page(app, client, target):
    make_staff(app, "admin")
    token = csrf_token(client)
    response = client.post("/staff/login", data={"email": "admin@peerline.test", "password": PASSWORD,
                                                 "csrf_token": token, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"


def test_hsts_in_production_only(app, migrated_database, tmp_path):
    from ivr import create_app
    assert "Strict-Transport-Security" not in app.test_client().get("/staff/login").headers
    prod = create_app(base_config(tmp_path, PEERLINE_ENV="production"))
    headers = prod.test_client().get("/staff/login").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


class TestSignInLimitWithoutRedis:
    """The per-address limit holds in memory when its Redis store is down (it used to fail open)."""

    @pytest.fixture
    def app_config(self):
        return {"STAFF_LOGIN_RATE": "3 per minute", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}

    def test_limit_holds(self, app, client):
        make_staff(app, "moderator")
        statuses = []
        for n in range(5):
            token = csrf_token(client)
            statuses.append(client.post("/staff/login", environ_base={"REMOTE_ADDR": "10.9.9.9"},
                                        data={"email": f"x{n}@peerline.test", "password": "wrong password",
                                              "csrf_token": token}).status_code)
        assert statuses[:3] == [401, 401, 401] and 429 in statuses[3:], statuses
