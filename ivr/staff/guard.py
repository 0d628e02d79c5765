"""Who may see a staff page: sign-in, roles declared on each view, CSRF and session expiry."""
from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from ivr.staff import accounts

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "staff.auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"
# Per-address limit on sign-in attempts, on top of the per-account lock (which a spray across
# many accounts would never trip). Only views decorated with limiter.limit are counted.
# When Redis is down the limits hold in this process's memory (fail closed-ish, never open).
limiter = Limiter(key_func=get_remote_address, default_limits=[], swallow_errors=True,
                  in_memory_fallback_enabled=True)


@limiter.request_filter
def _not_a_staff_page() -> bool:
    """Only staff pages carry limits: Twilio's webhooks (signed, and on every keypress) skip the lookup."""
    return not (request.blueprint or "").startswith("staff")

ALL_ROLES = ("admin", "moderator", "facilitator")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@login_manager.user_loader
def _load(session_id: str):
    return accounts.load_for_session(session_id)


def allow(*roles: str):
    """Declare which roles may use a view; the blueprint guard enforces it."""
    def decorate(view):
        view.staff_roles = frozenset(roles)
        return view
    return decorate


def passive(view):
    """Declare a view that background scripts poll: it does not count as activity for idle expiry."""
    view.staff_passive = True
    return view


def public(view):
    """Declare a view open to anyone (the sign-in page)."""
    view.staff_roles = None
    view.staff_public = True
    return view


def check_request():
    """before_request for every staff page: CSRF, session age, then the view's roles."""
    if request.method not in SAFE_METHODS:
        csrf.protect()
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return None  # a 404 or 405 follows
    if getattr(view, "staff_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if _session_expired(touch=not getattr(view, "staff_passive", False)):
        logout_user()
        session.clear()
        flash("Your session ended. Please sign in again.")
        return redirect(url_for("staff.auth.login", next=_next_target()))
    roles = getattr(view, "staff_roles", frozenset())
    if not roles or current_user.role not in roles:
        abort(403)
    return None


def _next_target() -> str | None:
    return request.full_path if request.method == "GET" else None


def _session_expired(touch: bool = True) -> bool:
    now = time.time()
    config = current_app.config
    signed_in_at = session.get("staff_auth_at")
    seen_at = session.get("staff_seen_at")
    if not signed_in_at or not seen_at:
        return True
    if now - seen_at > config["STAFF_IDLE_MINUTES"] * 60:
        return True
    if now - signed_in_at > config["STAFF_MAX_SESSION_HOURS"] * 3600:
        return True
    if touch:
        session["staff_seen_at"] = now
    return False


def start_session() -> None:
    """Stamp a fresh sign-in so idle and absolute expiry can be measured."""
    now = time.time()
    session.permanent = True
    session["staff_auth_at"] = now
    session["staff_seen_at"] = now


def secure_headers(response):
    """after_request: staff pages hold callers' words, so never cache or frame them."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    )
    return response


def roles_of(view) -> frozenset | None:
    """The roles a view allows (None for public views); used by tests and the nav."""
    return getattr(view, "staff_roles", frozenset())

