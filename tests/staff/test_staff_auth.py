"""Sign-in, sign-out, throttling, session expiry, CSRF and the audit of each."""
from __future__ import annotations

import time

from sqlalchemy import select

from ivr.extensions import db
from ivr.staff.models import AuditEntry, StaffUser
from tests.staff.conftest import PASSWORD, csrf_token, make_staff, sign_in


def _actions(app):
    with app.app_context():
        return [e.action for e in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def test_password_is_stored_as_argon2_hash(app):
    make_staff(app, "moderator")
    with app.app_context():
        user = db.session.execute(select(StaffUser)).scalar_one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_sign_in_and_out(app, client):
    make_staff(app, "moderator", "Mod@Peerline.test")
    response = sign_in(client, "  mod@peerline.TEST ")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200 and "Hello, Moderator" in page.get_data(as_text=True)
    token = csrf_token(client, "/staff/")
    out = client.post("/staff/logout", data={"csrf_token": token})
    assert out.status_code == 302
    assert client.get("/staff/").status_code == 302
    assert _actions(app)[-2:] == ["login", "logout"]


def test_wrong_password_is_refused_with_a_generic_message(app, client):
    make_staff(app, "moderator")
    response = sign_in(client, "moderator@peerline.test", "not the password")
    assert response.status_code == 401
    assert "did not match" in response.get_data(as_text=True)
    unknown = sign_in(client, "nobody@peerline.test", "whatever it is")
    assert unknown.status_code == 401
    assert unknown.get_data(as_text=True).count("did not match") == 1
    assert client.get("/staff/").status_code == 302
    assert _actions(app)[-2:] == ["login.failed", "login.unknown"]


def test_login_is_throttled_after_repeated_failures(app, client):
    make_staff(app, "moderator")
    for _ in range(app.config["STAFF_MAX_FAILED_LOGINS"]):
        assert sign_in(client, "moderator@peerline.test", "guess guess guess").status_code == 401
    # Locked now: even the right password is refused until the lock passes.
    assert sign_in(client, "moderator@peerline.test").status_code == 401
    with app.app_context():
        user = db.session.execute(select(StaffUser)).scalar_one()
        assert user.locked_until is not None and user.failed_logins == 5
        # Let the lock run out, as time would.
        from datetime import timedelta
        from ivr.models.base import utcnow
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client, "moderator@peerline.test").status_code == 302
    actions = _actions(app)
    assert "login.locked" in actions and "login.refused_locked" in actions and actions[-1] == "login"
    with app.app_context():
        assert db.session.execute(select(StaffUser)).scalar_one().failed_logins == 0


def test_lock_doubles_with_further_failures(app, client):
    make_staff(app, "moderator")
    with app.app_context():
        user = db.session.execute(select(StaffUser)).scalar_one()
        user.failed_logins = 5  # already at the limit, lock just expired
        db.session.commit()
    sign_in(client, "moderator@peerline.test", "still guessing!")
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).filter_by(action="login.locked")).scalar_one()
        assert entry.detail == "minutes=30"


def test_deactivated_account_cannot_sign_in_and_is_signed_out(app, client):
    uid = make_staff(app, "moderator")
    assert sign_in(client, "moderator@peerline.test").status_code == 302
    with app.app_context():
        from ivr.staff import accounts
        admin_id = make_staff(app, "admin")
        accounts.set_active(db.session.get(StaffUser, uid), False, db.session.get(StaffUser, admin_id))
        db.session.commit()
    assert client.get("/staff/").status_code == 302  # the open session ended
    assert sign_in(client, "moderator@peerline.test").status_code == 401


def test_idle_session_expires(app, client):
    make_staff(app, "moderator")
    sign_in(client, "moderator@peerline.test")
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session["staff_seen_at"] = time.time() - app.config["STAFF_IDLE_MINUTES"] * 60 - 5
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert client.get("/staff/").status_code == 302  # and stays signed out


def test_session_has_an_absolute_lifetime(app, client):
    make_staff(app, "moderator")
    sign_in(client, "moderator@peerline.test")
    with client.session_transaction() as session:
        session["staff_auth_at"] = time.time() - app.config["STAFF_MAX_SESSION_HOURS"] * 3600 - 5
    assert client.get("/staff/").status_code == 302


def test_activity_keeps_a_session_alive(app, client):
    make_staff(app, "moderator")
    sign_in(client, "moderator@peerline.test")
    with client.session_transaction() as session:
        session["staff_seen_at"] = time.time() - app.config["STAFF_IDLE_MINUTES"] * 60 + 30
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/").status_code == 200


def test_post_without_csrf_token_is_refused(app, client):
    make_staff(app, "moderator")
    response = client.post("/staff/login", data={"email": "moderator@peerline.test", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302  # not signed in
    sign_in(client, "moderator@peerline.test")
    response = client.post("/staff/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 200  # still signed in


def test_csrf_token_from_another_session_is_refused(app, client):
    make_staff(app, "moderator")
    other = app.test_client()
    foreign = csrf_token(other)
    response = client.post("/staff/login", data={"email": "moderator@peerline.test", "password": PASSWORD,
                                                 "csrf_token": foreign})
    assert response.status_code == 400


def test_next_is_followed_only_within_staff(app, client):
    make_staff(app, "admin")
    token = csrf_token(client)
    response = client.post("/staff/login", data={"email": "admin@peerline.test", "password": PASSWORD,
                                                 "csrf_token": token, "next": "/staff/admin/audit"})
    assert response.headers["Location"] == "/staff/admin/audit"
    client2 = client.application.test_client()
    token = csrf_token(client2)
    response = client2.post("/staff/login", data={"email": "admin@peerline.test", "password": PASSWORD,
                                                  "csrf_token": token, "next": "https://evil.example/staff/"})
    assert response.headers["Location"] == "/staff/"


def test_staff_pages_are_not_cached_or_framed(app, staff):
    response = staff("moderator").get("/staff/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_twilio_webhooks_need_no_csrf_token(twilio, app):
    response = twilio.post("/voice/status", {"CallSid": "CA9", "CallStatus": "completed"})
    assert response.status_code == 204


def test_session_cookie_is_http_only_and_same_site(app, client):
    make_staff(app, "moderator")
    response = sign_in(client, "moderator@peerline.test")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_production_cookies_are_secure(migrated_database, tmp_path):
    from ivr import create_app
    from tests.conftest import base_config
    prod = create_app(base_config(tmp_path, PEERLINE_ENV="production"))
    assert prod.config["SESSION_COOKIE_SECURE"] is True


def test_background_polling_does_not_keep_an_idle_session_alive(app, staff):
    from tests.circles.factories import open_circle
    fac = staff("facilitator")
    circle_id = open_circle(app, fac.id)
    idle = app.config["STAFF_IDLE_MINUTES"] * 60
    with fac.client.session_transaction() as session:
        session["staff_seen_at"] = time.time() - idle + 2
    assert fac.get(f"/staff/circles/{circle_id}/roster").status_code == 200  # still within the limit
    time.sleep(2.5)
    # The poll did not count as activity, so the session is now idle too long.
    response = fac.get(f"/staff/circles/{circle_id}/roster")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
