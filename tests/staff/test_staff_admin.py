"""Administration: accounts (create, role, deactivate, unlock, password) and the audit log page."""
from __future__ import annotations

from sqlalchemy import select

from ivr.extensions import db
from ivr.staff.models import AuditEntry, StaffUser
from tests.staff.conftest import make_staff, sign_in


def _user(app, email):
    with app.app_context():
        user = db.session.execute(select(StaffUser).filter_by(email=email)).scalar_one()
        db.session.expunge(user)
        return user


def test_admin_creates_an_account_who_can_sign_in(app, staff, client):
    admin = staff("admin")
    response = admin.post("/staff/admin/staff", {"email": "New@Peerline.test", "name": "Nia", "role": "moderator",
                                                 "password": "a long enough password"})
    assert response.status_code == 302
    assert _user(app, "new@peerline.test").role == "moderator"
    assert sign_in(client, "new@peerline.test", "a long enough password").status_code == 302
    assert admin.post("/staff/admin/staff", {"email": "new@peerline.test", "name": "Again", "role": "moderator",
                                             "password": "a long enough password"}).status_code == 422
    assert admin.post("/staff/admin/staff", {"email": "x@peerline.test", "name": "X", "role": "superuser",
                                             "password": "a long enough password"}).status_code == 422


def test_role_change_applies_at_once(app, staff):
    admin, mod = staff("admin"), staff("moderator")
    assert mod.get("/staff/shares/").status_code == 200
    admin.post(f"/staff/admin/staff/{mod.id}/role", {"role": "facilitator"})
    # The old session ended; signing in again gives the new role's pages.
    assert mod.get("/staff/shares/").status_code == 302
    assert _user(app, mod.email).role == "facilitator"


def test_admin_cannot_lock_themselves_out(app, staff):
    admin = staff("admin")
    assert admin.post(f"/staff/admin/staff/{admin.id}/active", {"active": "0"}).status_code == 422
    assert admin.post(f"/staff/admin/staff/{admin.id}/role", {"role": "moderator"}).status_code == 422
    assert _user(app, admin.email).active and _user(app, admin.email).role == "admin"
    assert admin.get("/staff/admin/staff").status_code == 200


def test_unlock_and_password_reset(app, staff, client):
    admin = staff("admin")
    make_staff(app, "moderator")
    for _ in range(app.config["STAFF_MAX_FAILED_LOGINS"]):
        sign_in(client, "moderator@peerline.test", "wrong wrong wrong")
    assert "locked" in admin.get("/staff/admin/staff").get_data(as_text=True)
    uid = _user(app, "moderator@peerline.test").id
    admin.post(f"/staff/admin/staff/{uid}/unlock")
    assert _user(app, "moderator@peerline.test").locked_until is None
    assert admin.post(f"/staff/admin/staff/{uid}/password", {"password": "short"}).status_code == 422
    admin.post(f"/staff/admin/staff/{uid}/password", {"password": "a brand new long password"})
    assert sign_in(client, "moderator@peerline.test", "a brand new long password").status_code == 302


def test_audit_log_page_lists_and_filters(app, staff):
    admin = staff("admin")
    staff("moderator")
    page = admin.get("/staff/admin/audit").get_data(as_text=True)
    assert "staff.create" in page and "login" in page
    filtered = admin.get("/staff/admin/audit?action=staff.create").get_data(as_text=True)
    assert "staff.create" in filtered and "<code>login</code>" not in filtered
    with app.app_context():
        assert db.session.execute(select(AuditEntry).filter_by(action="login")).scalars().all()
