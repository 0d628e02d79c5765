"""Stories: list, listen, unpublish (and publish again), retitle and re-tag — through ivr.stories."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for

from ivr import database
from ivr.stories import replies
from ivr.stories import domain as stories
from ivr.staff import audit
from ivr.staff.guard import allow
from ivr.storage import storage

bp = Blueprint("stories", __name__, url_prefix="/stories")
MODERATORS = ("admin", "moderator")


@bp.get("/")
@allow(*MODERATORS)
def index():
    """Every story, newest first, with its state, counts and controls."""
    rows = stories.all_stories()
    # A few replies per story at most in practice; one query each keeps the page simple.
    reply_lists = {story.id: replies.replies_to(story.id) for story in rows}
    return render_template("staff/stories.html", stories=rows, notes=stories.CONTENT_NOTES, replies=reply_lists)


@bp.get("/<int:story_id>/audio")
@allow(*MODERATORS)
def audio(story_id: int):
    """A story's audio for staff (published or not)."""
    story = stories.get_story(story_id)
    if not story.audio_key:
        abort(404)
    try:
        data = storage().get(story.audio_key)
    except FileNotFoundError:
        abort(404)
    return send_file(io.BytesIO(data), mimetype=story.audio_type, conditional=True, max_age=0,
                     download_name=f"story-{story.id}{stories.AUDIO_TYPES.get(story.audio_type, '.wav')}")


@bp.post("/<int:story_id>/unpublish")
@allow(*MODERATORS)
def unpublish(story_id: int):
    """Stop callers hearing the story."""
    story = stories.get_story(story_id)
    stories.unpublish(story.id)
    audit.record("story.unpublish", "story", story.id)
    database.commit()
    flash("Unpublished.")
    return redirect(url_for(".index"))


@bp.post("/<int:story_id>/republish")
@allow(*MODERATORS)
def republish(story_id: int):
    """Let callers hear the story again (if its audio still exists)."""
    story = stories.get_story(story_id)
    try:
        stories.republish(story.id)
    except stories.StoryError as exc:
        database.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".index")), 409
    audit.record("story.republish", "story", story.id)
    database.commit()
    flash("Published again.")
    return redirect(url_for(".index"))


@bp.post("/<int:story_id>/title")
@allow(*MODERATORS)
def retitle(story_id: int):
    """Change the title spoken before the story."""
    story = stories.get_story(story_id)
    try:
        stories.retitle(story.id, request.form.get("title", ""))
    except stories.StoryError as exc:
        database.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".index")), 422
    audit.record("story.retitle", "story", story.id)
    database.commit()
    flash("Title saved.")
    return redirect(url_for(".index"))


@bp.post("/<int:story_id>/note")
@allow(*MODERATORS)
def retag(story_id: int):
    """Set or clear the content note spoken before the story."""
    story = stories.get_story(story_id)
    try:
        stories.tag(story.id, request.form.get("content_note") or None)
    except stories.StoryError as exc:
        database.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".index")), 422
    audit.record("story.retag", "story", story.id, detail=f"note={story.content_note or '-'}")
    database.commit()
    flash("Content note saved.")
    return redirect(url_for(".index"))
