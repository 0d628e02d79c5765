"""Sign in, sign out and the landing page that sends each role to its work."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ivr import database
from ivr.staff import accounts, audit
from ivr.staff.guard import ALL_ROLES, allow, limiter, public, start_session
from ivr.shares import domain as shares
from ivr.shares import review

bp = Blueprint("auth", __name__)
GENERIC_FAILURE = "That email and password did not match, or the account is locked for a while."


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_LOGIN_RATE"], methods=["POST"])
@public
def login():
    """Show the sign-in form; on POST check it (throttled) and start a fresh session."""
    if request.method == "GET":
        return render_template("staff/login.html", next=request.args.get("next", ""))
    result = accounts.authenticate(request.form.get("email", ""), request.form.get("password", ""))
    database.commit()  # failures and locks count even though the sign-in did not happen
    if result.user is None:
        flash(GENERIC_FAILURE, "error")
        return render_template("staff/login.html", next=request.form.get("next", ""),
                               email=request.form.get("email", "")), 401
    session.clear()  # nothing from before sign-in survives into the signed-in session
    login_user(result.user)
    start_session()
    return redirect(_safe_next(request.form.get("next")) or url_for("staff.auth.home"))


@bp.post("/logout")
@allow(*ALL_ROLES)
def logout():
    """End the session (POST only, with a CSRF token); a copied cookie stops working too."""
    audit.record("logout", "staff", current_user.id)
    accounts.end_sessions(current_user)
    database.commit()
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("staff.auth.login"))


@bp.get("/")
@allow(*ALL_ROLES)
def home():
    """Each role's starting page, with the queue's longest wait for those who moderate."""
    waiting = None
    if current_user.role in ("admin", "moderator"):
        queue = shares.queue()
        waiting = {"count": len(queue), "longest": max((review.wait_seconds(s) for s in queue), default=None),
                   "human": review.human_duration}
    return render_template("staff/home.html", waiting=waiting)


def _safe_next(target: str | None) -> str | None:
    """Only same-site staff paths: never an open redirect."""
    if not target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # a newline would otherwise reach the Location header (a 500, or header injection)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff/") or target.startswith("//"):
        return None
    return target
