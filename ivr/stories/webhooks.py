"""Audio for Twilio's <Play>: published stories (fingerprinted, cached for a year) and moderated replies."""
from __future__ import annotations

import os

from flask import Blueprint, abort, send_file

from ivr.stories import domain as stories
from ivr.storage import storage
from ivr.stories import replies

bp = Blueprint("story_audio", __name__)

YEAR = 365 * 24 * 3600


@bp.get("/audio/stories/<int:story_id>-<fingerprint>.<ext>")
def story_audio(story_id: int, fingerprint: str, ext: str):
    """Serve a published story's audio; anything unpublished, changed or unknown is a 404."""
    story = stories.published(story_id)
    if story is None or fingerprint != stories.fingerprint(story) or stories.audio_path(story).rsplit(".", 1)[1] != ext:
        abort(404)
    try:
        fh = storage().open(story.audio_key)  # a file or an S3 stream: read in chunks, never whole
    except FileNotFoundError:
        abort(404)
    length = getattr(fh, "length", None)
    if length is None:
        length = os.fstat(fh.fileno()).st_size
    response = send_file(fh, mimetype=story.audio_type, etag=story.audio_hash, max_age=YEAR,
                         conditional=True)
    if response.status_code == 200:
        response.content_length = length  # the same headers from either backend
    # The URL changes whenever the audio does, so caches may keep it for good.
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.get("/audio/replies/<int:share_id>-<token>.wav")
def reply_audio(share_id: int, token: str):
    """Serve a reply moderation passed on, at an unguessable URL; anything else is a 404."""
    reply = replies.playable(share_id, token)
    if reply is None:
        abort(404)
    try:
        fh = storage().open(reply.reply_audio_key)
    except FileNotFoundError:
        abort(404)
    # Private replies are for one storyteller: no shared caches, and gone the moment it is deleted.
    response = send_file(fh, mimetype="audio/wav", max_age=0, conditional=True)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
