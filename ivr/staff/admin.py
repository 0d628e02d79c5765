"""Administration: staff accounts (create, role, activate, unlock, reset password) and the audit log."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ivr import database
from ivr.staff.models import ROLES
from ivr.staff import accounts, audit
from ivr.staff.guard import allow

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/staff")
@allow("admin")
def staff_list():
    """Every account with its role and state, and a form for a new one."""
    return render_template("staff/admin_staff.html", people=accounts.all_staff(), roles=ROLES,
                           now=accounts.utcnow())


@bp.post("/staff")
@allow("admin")
def staff_create():
    """Create an account from the form."""
    form = request.form
    try:
        accounts.create(form.get("email", ""), form.get("name", ""), form.get("password", ""),
                        form.get("role", ""), actor=current_user)
    except accounts.AccountError as exc:
        database.rollback()
        # The new-account form's fields are "new-<field>": the message marks the one at fault.
        flash(str(exc), f"error:new-{exc.field}" if exc.field else "error")
        return render_template("staff/admin_staff.html", people=accounts.all_staff(), roles=ROLES,
                               now=accounts.utcnow(), form=form), 422
    database.commit()
    flash("Account created.")
    return redirect(url_for(".staff_list"))


def _change(user_id: int, change) -> object:
    user = accounts.get_account(user_id)
    try:
        change(user)
    except accounts.AccountError as exc:
        database.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".staff_list")), 422
    database.commit()
    flash("Saved.")
    return redirect(url_for(".staff_list"))


@bp.post("/staff/<int:user_id>/role")
@allow("admin")
def staff_role(user_id: int):
    """Change an account's role."""
    return _change(user_id, lambda u: accounts.set_role(u, request.form.get("role", ""), current_user))


@bp.post("/staff/<int:user_id>/active")
@allow("admin")
def staff_active(user_id: int):
    """Deactivate or reactivate an account."""
    active = request.form.get("active") == "1"
    return _change(user_id, lambda u: accounts.set_active(u, active, current_user))


@bp.post("/staff/<int:user_id>/unlock")
@allow("admin")
def staff_unlock(user_id: int):
    """Lift a sign-in lock."""
    return _change(user_id, lambda u: accounts.unlock(u, current_user))


@bp.post("/staff/<int:user_id>/password")
@allow("admin")
def staff_password(user_id: int):
    """Set a new password (the person's open sessions end)."""
    return _change(user_id, lambda u: accounts.set_password(u, request.form.get("password", ""), current_user))


#: Audit entries on one page (127 rows on one page were 17,000 px tall on a phone).
AUDIT_PAGE = 50


@bp.get("/audit")
@allow("admin")
def audit_log():
    """The audit entries, newest first, 50 a page, filterable by action."""
    action = request.args.get("action") or None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    # One row more than a page tells whether an older page exists, without counting the table.
    rows = audit.recent(AUDIT_PAGE + 1, action=action, offset=(page - 1) * AUDIT_PAGE)
    return render_template("staff/admin_audit.html", entries=rows[:AUDIT_PAGE], action=action, page=page,
                           older=len(rows) > AUDIT_PAGE)
