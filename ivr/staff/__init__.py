"""Staff web app: sign-in, moderation, stories, circles console and administration.

Every page sits under one parent blueprint (/staff) whose guard checks CSRF, session age and the
view's declared roles; a view that declares no roles is refused (fail closed).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the staff blueprints, sign-in, CSRF protection and the `peerline staff` commands."""
    from datetime import timedelta

    from ivr.staff import guard
    from ivr.staff.cli import staff_cli
    from ivr.staff.routes import bp

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
    guard.limiter.init_app(app)
    guard.csrf.init_app(app)
    guard.login_manager.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(staff_cli)
