"""Public story audio for Twilio's <Play>: published stories only, at fingerprinted URLs cached for a year."""
from __future__ import annotations

from flask import Blueprint, abort, send_file

from ivr import stories
from ivr.storage import storage

bp = Blueprint("story_audio", __name__)

YEAR = 365 * 24 * 3600


@bp.get("/audio/stories/<int:story_id>-<fingerprint>.<ext>")
def story_audio(story_id: int, fingerprint: str, ext: str):
    """Serve a published story's audio; anything unpublished, changed or unknown is a 404."""
    story = stories.published(story_id)
    if story is None or fingerprint != stories.fingerprint(story) or stories.audio_path(story).rsplit(".", 1)[1] != ext:
        abort(404)
    try:
        fh = storage().open(story.audio_key)
    except FileNotFoundError:
        abort(404)
    response = send_file(fh, mimetype=story.audio_type, etag=story.audio_hash, max_age=YEAR,
                         conditional=True)
    # The URL changes whenever the audio does, so caches may keep it for good.
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
