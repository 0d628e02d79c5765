"""Peerline: a phone line for peer-support circles."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from ivr import database, db_deadlines, health, jobs, schema, web_limits  # noqa: F401  (schema: every model loaded)
from ivr.calls import fast_lane, media
from ivr.calls import routes as voice
from ivr.calls.flows_loader import load_validated_flows
from ivr.circles import webhooks as circle_webhooks  # noqa: F401  (circle routes on the signed voice blueprint)
from ivr.config import ConfigError, load_config
from ivr.extensions import db, migrate
from ivr.shares import callbacks as voice_shares
from ivr.staff import routes as staff
from ivr.storage import StorageUnavailable, from_config
from ivr.stories import webhooks as story_audio


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app: configuration, extensions, flows and blueprints."""
    config = load_config(test_config)
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(config)
    app.extensions["peerline.config_sources"] = config.sources
    logging.basicConfig(level=config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _ensure_sqlite_dir(config["SQLALCHEMY_DATABASE_URI"])

    db_deadlines.configure(app)
    db.init_app(app)
    with app.app_context():
        db_deadlines.install(app, db.engine)
        database.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    app.extensions["peerline.flows"] = load_validated_flows(config)
    jobs.init_app(app)

    web_limits.init_app(app)
    app.register_blueprint(voice.bp)
    app.register_blueprint(voice.stateful_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(story_audio.bp)
    app.register_blueprint(voice_shares.bp)
    staff.init_app(app)
    fast_lane.install(app)
    _check_storage(app)
    return app


def _check_storage(app: Flask) -> None:
    """A store that cannot be used is a one-line error naming the variable: fatal in production."""
    if not app.config["STORAGE_CHECK_AT_START"]:
        return
    try:
        from_config(app.config).check()
    except StorageUnavailable as exc:
        if app.config["PEERLINE_ENV"] == "production":
            raise ConfigError(f"Peerline refuses to start: {exc}") from exc
        logging.getLogger("ivr.storage").warning("storage is not usable: %s", exc)


def _ensure_sqlite_dir(uri: str) -> None:
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
