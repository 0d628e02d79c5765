"""Peerline: a phone line for peer-support circles."""
from __future__ import annotations

import logging

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app: configuration, extensions, flows and blueprints."""
    from ivr.config import load_config
    from ivr.extensions import db, migrate
    from ivr.flows_loader import load_validated_flows
    from ivr import db_deadlines, health, voice, media, web_limits
    from ivr import staff
    from ivr import story_audio
    from ivr.voice import shares as voice_shares
    from ivr.cli import register_commands

    config = load_config(test_config)
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(config)
    logging.basicConfig(level=config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _ensure_sqlite_dir(config["SQLALCHEMY_DATABASE_URI"])

    db_deadlines.configure(app)
    db.init_app(app)
    with app.app_context():
        db_deadlines.install(app, db.engine)
    migrate.init_app(app, db, directory=str(__import__("pathlib").Path(__file__).parent / "migrations"))
    app.extensions["peerline.flows"] = load_validated_flows(config)

    web_limits.init_app(app)
    app.register_blueprint(voice.bp)
    app.register_blueprint(voice.stateful_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(story_audio.bp)
    app.register_blueprint(voice_shares.bp)
    staff.init_app(app)
    register_commands(app)
    _check_storage(app)
    return app


def _check_storage(app: Flask) -> None:
    """A store that cannot be used is a one-line error naming the variable: fatal in production."""
    from ivr.config import ConfigError
    from ivr.storage import StorageUnavailable, from_config
    if str(app.config.get("STORAGE_CHECK_AT_START", "1")).lower() in ("0", "false", "no", ""):
        return
    try:
        from_config(app.config).check()
    except StorageUnavailable as exc:
        if app.config["PEERLINE_ENV"] == "production":
            raise ConfigError(f"Peerline refuses to start: {exc}") from exc
        logging.getLogger("ivr.storage").warning("storage is not usable: %s", exc)


def _ensure_sqlite_dir(uri: str) -> None:
    if uri.startswith("sqlite:///"):
        from pathlib import Path
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
