"""The parent /staff blueprint: one guard for every staff page, and friendly error pages."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, current_app, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from ivr.calls.call_state import PREFIX as CALL_STATE_PREFIX
from ivr.staff import admin, auth, guard, labels
from ivr.circles import staff as circles
from ivr.shares import moderation
from ivr.reports import views as reports
from ivr.stories import staff as stories

bp = Blueprint("staff", __name__, url_prefix="/staff")
#: Paths only Twilio calls: voice webhooks, with or without the call-state segment.
VOICE_LANE = ("/voice/", CALL_STATE_PREFIX + "/")
bp.before_request(guard.check_request)
bp.after_request(guard.secure_headers)


@bp.after_request
def refused_form_page(response):
    """A refused form answered "redirect, 4xx": browsers do not follow that and showed Werkzeug's bare
    "Redirecting..." page. Show the staff page with the message and the way back instead (same status)."""
    if 400 <= response.status_code < 500 and response.location and request.accept_mimetypes.accept_html \
            and request.accept_mimetypes.best != "application/json":
        page = render_template("staff/error.html", code=response.status_code, title="Not saved",
                               message="Nothing was changed.", back=response.location, back_label="Back to the form")
        response.set_data(page)
        response.mimetype = "text/html"
    return response
bp.register_blueprint(auth.bp)
bp.register_blueprint(admin.bp)
bp.register_blueprint(moderation.bp)
bp.register_blueprint(stories.bp)
bp.register_blueprint(circles.bp)
bp.register_blueprint(reports.bp)


@bp.app_errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    """A form without a valid token: explain, change nothing."""
    return render_template("staff/error.html", code=400, title="Form expired",
                           message="This form was out of date or not sent from this site. Reload the page and try again."), 400


@bp.errorhandler(429)
def too_many(exc):
    """Too many sign-in attempts from this address."""
    return render_template("staff/error.html", code=429, title="Too many attempts",
                           message="Too many sign-in attempts from here. Wait a minute, then try again."), 429


@bp.errorhandler(403)
def forbidden(exc):
    """Signed in, but this page is not for this role."""
    return render_template("staff/error.html", code=403, title="Not available",
                           message="Your role does not give access to this page."), 403


@bp.errorhandler(404)
def not_found(exc):
    """Nothing here (or nothing this account may know exists)."""
    return render_template("staff/error.html", code=404, title="Not found",
                           message="There is nothing here."), 404


def _staff_path() -> bool:
    return request.path == "/staff" or request.path.startswith("/staff/")


@bp.app_errorhandler(NotFound)
def unknown_staff_url(exc: NotFound):
    """A /staff/ URL that matches no page: the staff 404 page (with its way back), not Werkzeug's bare one."""
    if not _staff_path():
        return exc
    if request.blueprint:  # a staff view's own abort(404): the blueprint's handler renders it
        return not_found(exc)
    return guard.secure_headers(_error_page(404, "Not found", "There is nothing here."))


@bp.app_errorhandler(InternalServerError)
def server_error(exc: HTTPException):
    """Something broke on a staff page: say so plainly, with the way back (nothing of the error shown)."""
    if not _staff_path():
        return exc
    return guard.secure_headers(_error_page(500, "Something went wrong",
                                            "The page could not be shown. Nothing was changed by this error; try again in a moment."))


def _error_page(code: int, title: str, message: str):
    try:
        page = render_template("staff/error.html", code=code, title=title, message=message, **navigation())
    except Exception:  # the page itself failed (e.g. the database is down): plain HTML, still usable
        page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>{title} · Peerline</title></head>'
                f'<body><main><h1>{title}</h1><p>{message}</p><p><a href="/staff/">Back to the start</a></p></main></body></html>')
    return make_response(page, code)


#: Top navigation: endpoint and label; each link shows only to the roles its view allows.
NAV = [
    ("staff.moderation.queue", "Queue"),
    ("staff.stories.index", "Stories"),
    ("staff.circles.index", "Circles"),
    ("staff.reports.index", "Reports"),
    ("staff.admin.staff_list", "Staff"),
    ("staff.admin.audit_log", "Audit log"),
]


@bp.app_context_processor
def plain_labels():
    """`labels` in every staff template: the one place internal values become words."""
    return {"labels": labels}


@bp.context_processor
def navigation():
    """The nav entries that exist in this app, each with the roles allowed to follow it."""
    views = current_app.view_functions
    present = [endpoint for endpoint, _ in NAV if endpoint in views]
    # The page's own nav entry, else the first entry of its blueprint (a share page is in "Queue").
    current = request.endpoint if request.endpoint in present else next(
        (e for e in present if e.rsplit(".", 1)[0] == (request.endpoint or "").rsplit(".", 1)[0]), None)
    return {"staff_nav": [(endpoint, label, guard.roles_of(views[endpoint]) or frozenset())
                          for endpoint, label in NAV if endpoint in views], "staff_nav_current": current}


def init_app(app: Flask) -> None:
    """Bind the staff blueprints, sign-in, CSRF protection (commands are in ivr/cli/staff.py)."""
    # CSRF is checked by the staff guard only: Twilio's webhooks carry signatures, not tokens.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # Flask ships these keys with permissive values, so setdefault would never apply.
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config["PEERLINE_ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["STAFF_MAX_SESSION_HOURS"])
    # Shared counts across gunicorn workers when Redis is there; per process otherwise.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    hooks = _request_hooks(app)
    guard.limiter.init_app(app)
    guard.csrf.init_app(app)
    guard.login_manager.init_app(app)
    app.register_blueprint(bp)
    _move_to_staff(app, hooks)
    app.session_interface = StaffSessions()


_HOOK_KINDS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


def _request_hooks(app: Flask) -> dict[str, list]:
    """The app-wide request hooks registered so far, by kind."""
    return {kind: list(getattr(app, kind).get(None, [])) for kind in _HOOK_KINDS}


def _move_to_staff(app: Flask, before: dict[str, list]) -> None:
    """Scope the hooks sign-in, CSRF and rate limits added app-wide to the /staff blueprint.

    Those extensions register for every request; Twilio's webhooks (every keypress of every
    caller) never sign in, so running them there was a third of a keypress's time. Staff
    requests run them first, in the order they had, before the staff guard.
    """
    for kind in _HOOK_KINDS:
        hooks = getattr(app, kind)
        added = [f for f in hooks.get(None, []) if f not in before[kind]]
        hooks[None] = [f for f in hooks.get(None, []) if f not in added]
        hooks[bp.name] = added + hooks.get(bp.name, [])


class StaffSessions(SecureCookieSessionInterface):
    """Signed cookie sessions for staff pages; a voice webhook gets the null session and no cookie."""

    def open_session(self, app: Flask, request):
        """The null session on the voice lane (Twilio sends no cookie worth reading)."""
        if request.path.startswith(VOICE_LANE):
            return self.make_null_session(app)
        return super().open_session(app, request)
