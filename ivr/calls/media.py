"""Public prompt recordings for Twilio to <Play>: long cache lifetimes, no secrets here."""
from flask import Blueprint, current_app, send_from_directory
from pathlib import Path

bp = Blueprint("media", __name__)


@bp.get("/audio/prompts/<path:name>")
def prompt_audio(name: str):
    """Serve a recorded prompt from audio/prompts/."""
    folder = Path(current_app.config["AUDIO_DIR"]) / "prompts"
    return send_from_directory(folder, name, max_age=86400)


@bp.get("/audio/hold/<path:name>")
def hold_audio(name: str):
    """Serve hold music from audio/hold/ (the circles' waiting room)."""
    folder = Path(current_app.config["AUDIO_DIR"]) / "hold"
    return send_from_directory(folder, name, max_age=86400)
