"""Moderation: the queue, reviewing a share (audio, transcript, flags, consent) and deciding it.

Views are thin: shares change state only through ivr.shares, stories only through ivr.stories.
"""
from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ivr import database
from ivr.shares import oncall
from ivr.stories import replies
from ivr.shares import domain as shares
from ivr.stories import domain as stories
from ivr.models.base import utcnow
from ivr.staff import audit
from ivr.shares import redaction
from ivr.shares import review
from ivr.staff.guard import allow
from ivr.storage import storage

if TYPE_CHECKING:  # for annotations only: rows come from ivr.shares and ivr.stories
    from ivr.shares.models import Share

log = logging.getLogger(__name__)
bp = Blueprint("moderation", __name__, url_prefix="/shares")
MODERATORS = ("admin", "moderator")
#: Shares a moderator can still decide.
OPEN = ("queued", "needs_listening", "failed")


@bp.get("/")
@allow(*MODERATORS)
def queue():
    """The queue: priority then age, tier badges, reasons, age, language, duration; the longest wait."""
    items = shares.queue()
    now = utcnow()
    longest = max((review.wait_seconds(s, now) for s in items), default=None)
    tier, language, status = request.args.get("tier"), request.args.get("language"), request.args.get("status")
    shown = [s for s in items if (not tier or s.tier == tier) and (not language or s.language == language)
             and (not status or s.status == status)]
    failed = shares.failed()
    return render_template(
        "staff/queue.html", items=shown, total=len(items), longest=longest, now=now, review=review,
        tiers=sorted({s.tier for s in items if s.tier}), languages=sorted({s.language for s in items}),
        filters={"tier": tier, "language": language, "status": status}, failed=failed,
    )


@bp.get("/<int:share_id>")
@allow(*MODERATORS)
def detail(share_id: int):
    """One share: the original audio, its transcript (click a word to seek), flags and consent."""
    share = shares.get_share(share_id)
    audit.record("share.view", "share", share.id)
    database.commit()
    return _review_page(share)


def _review_page(share: Share, status: int = 200):
    """The review page; after a refused form it is shown again in place (the error marks its fields)."""
    replied_to = stories.get(share.reply_to_story_id)
    return render_template("staff/share.html", share=share, words=review.words(share), flags=review.flags(share),
                           topics=stories.topics(), notes=stories.CONTENT_NOTES, review=review, replied_to=replied_to,
                           can_decide=share.status in OPEN, can_publish=share.consent == "library" and share.status in OPEN,
                           wait=review.wait_seconds(share), tiers=shares.MODERATOR_TIERS,
                           can_retry=shares.retryable(share)), status


@bp.get("/<int:share_id>/audio")
@allow(*MODERATORS)
def audio(share_id: int):
    """The original recording, for staff only (supports seeking through Range requests)."""
    share = shares.get_share(share_id)
    if not share.original_key:
        abort(404)
    try:
        data = storage().get(share.original_key)
    except FileNotFoundError:
        abort(404)
    # Seeks arrive as later Range requests: only the first fetch is a new access worth auditing.
    if request.headers.get("Range", "bytes=0-").startswith("bytes=0-"):
        audit.record("share.listen", "share", share.id)
        database.commit()
    return send_file(io.BytesIO(data), mimetype="audio/wav", conditional=True, max_age=0,
                     download_name=f"share-{share.id}.wav")


@bp.post("/<int:share_id>/preview")
@allow(*MODERATORS)
def preview(share_id: int):
    """The audio as it would be published with the chosen words bleeped (and disguised if asked)."""
    share = shares.get_share(share_id)
    data = _render(share, request.form.get("bleep"))
    audit.record("share.preview", "share", share.id, detail=f"bleeps={len(_indices(share, request.form.get('bleep')))}")
    database.commit()
    return send_file(io.BytesIO(data), mimetype="audio/wav", max_age=0, download_name=f"preview-{share.id}.wav")


@bp.post("/<int:share_id>/publish")
@allow(*MODERATORS)
def publish(share_id: int):
    """Publish the bleeped (or disguised) copy as a story; a private share never can be."""
    share = shares.get_share(share_id)
    form = request.form
    if share.consent != "library":
        audit.record("share.publish_refused", "share", share.id, detail="consent=private")
        database.commit()
        flash("The caller kept this share private: it cannot be published.", "error")
        return redirect(url_for(".detail", share_id=share.id)), 409
    if share.status not in OPEN:
        flash("This share has already been decided.", "error")
        return redirect(url_for(".detail", share_id=share.id)), 409
    if share.is_reply:  # a reply is passed on after its story, never made a story of its own
        flash("This is a reply: pass it on to its storyteller instead.", "error")
        return redirect(url_for(".detail", share_id=share.id)), 409
    topic_id = _int(form.get("topic_id"))
    topic = stories.find_topic(topic_id)
    title = (form.get("title") or "").strip()
    note = form.get("content_note") or None
    if topic is None or not title or (note and note not in stories.CONTENT_NOTES):
        wrong = [f for f, bad in (("topic", topic is None), ("title", not title),
                                  ("content_note", note and note not in stories.CONTENT_NOTES)) if bad]
        flash("Choose a topic, give a title and pick a content note from the list.", "error:" + " ".join(wrong))
        return _review_page(share, 422)
    indices = _indices(share, form.get("bleep"))
    audio_bytes = _render(share, form.get("bleep"))
    try:
        shares.decide(share.id, "published", actor=f"staff:{current_user.id}")
        story = stories.add_story(topic, title[:200], share.language, audio_bytes, share.duration_s or 0,
                                  content_note=note, share_id=share.id)
    except (shares.ShareError, stories.StoryError) as exc:
        return _refused_decision(share, exc)
    audit.record("share.publish", "share", share.id, detail=f"story={story.id} bleeps={len(indices)}")
    database.commit()
    flash("Published to the library.")
    return redirect(url_for(".queue"))


def _refused_decision(share: Share, exc: Exception):
    """A decision the domain refused: nothing of it is kept, and the review page says why (409)."""
    database.rollback()
    flash(str(exc), "error")
    return redirect(url_for(".detail", share_id=share.id)), 409


@bp.post("/<int:share_id>/deliver-reply")
@allow(*MODERATORS)
def deliver_reply(share_id: int):
    """Pass a reply on, bleeped (or disguised): to its storyteller only, or also after the story for everyone."""
    share = shares.get_share(share_id)
    decision = "published" if request.form.get("audience") == "everyone" else "kept_private"
    if share.status not in OPEN:
        flash("This share has already been decided.", "error")
        return redirect(url_for(".detail", share_id=share.id)), 409
    audio_bytes = _render(share, request.form.get("bleep"))
    try:
        replies.deliver(share, audio_bytes, decision, actor=f"staff:{current_user.id}")
    except (shares.ShareError, replies.ReplyError) as exc:
        return _refused_decision(share, exc)
    audit.record("reply.deliver", "share", share.id, detail=f"to={'everyone' if decision == 'published' else 'storyteller'}")
    database.commit()
    flash("Reply passed on.")
    return redirect(url_for(".queue"))


@bp.post("/<int:share_id>/keep-private")
@allow(*MODERATORS)
def keep_private(share_id: int):
    """Keep the share with moderators only."""
    return _decide(share_id, "kept_private", "share.keep_private", "Kept private.")


@bp.post("/<int:share_id>/reject")
@allow(*MODERATORS)
def reject(share_id: int):
    """Reject the share: it will not be published."""
    return _decide(share_id, "rejected", "share.reject", "Rejected.")


@bp.post("/<int:share_id>/follow-up")
@allow(*MODERATORS)
def follow_up(share_id: int):
    """Mark an urgent share followed up, with a note (the note stays on the share, not in the audit log)."""
    share = shares.get_share(share_id)
    note = (request.form.get("note") or "").strip()
    if not note:
        flash("Write a short note of what was done.", "error:note")
        return _review_page(share, 422)
    shares.follow_up(share.id, note[:2000])
    audit.record("share.follow_up", "share", share.id, detail=f"tier={share.tier}")
    database.commit()
    flash("Marked as followed up.")
    return redirect(url_for(".detail", share_id=share.id))


@bp.post("/<int:share_id>/tier")
@allow(*MODERATORS)
def set_tier(share_id: int):
    """Set the tier after listening; raising a share to crisis texts the on-call moderator (once per share)."""
    share = shares.get_share(share_id)
    tier = request.form.get("tier") or ""
    try:
        share, previous = shares.set_tier(share.id, tier, actor=f"staff:{current_user.id}")
    except shares.ShareError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", share_id=share.id)), 422
    audit.record("share.set_tier", "share", share.id, detail=f"{previous or 'unranked'}->{tier}")
    database.commit()
    message = f"Tier set to {tier.replace('_', ' ')}."
    if tier == "crisis":
        share_id = share.id
        oncall.alert(share_id)
        message += " " + _ALERT_WORDS.get(oncall.status_for(share_id) or "", "")
    flash(message.strip())
    return redirect(url_for(".detail", share_id=share_id))


_ALERT_WORDS = {
    "sent": "The on-call moderator has been texted.",
    "pending": "Texting the on-call moderator failed for now; it will be tried again.",
    "failed": "Texting the on-call moderator failed: call them.",
    "unconfigured": "No on-call number is set, so nobody was texted: call the on-call moderator.",
}


@bp.post("/<int:share_id>/retry")
@allow(*MODERATORS)
def retry(share_id: int):
    """Run transcription and screening again for a share (say, after a model was installed)."""
    share = shares.get_share(share_id)
    try:
        share = shares.retry_processing(share.id, actor=f"staff:{current_user.id}")  # commits
    except shares.ShareError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", share_id=share.id)), 409
    audit.record("share.retry", "share", share.id)
    database.commit()
    flash("Processing is running again." if share.retry_after is None
          else "Processing could not start now; the next sweep will start it.")
    return redirect(url_for(".detail", share_id=share.id))


def _decide(share_id: int, decision: str, action: str, message: str):
    share = shares.get_share(share_id)
    if share.status not in OPEN:
        flash("This share has already been decided.", "error")
        return redirect(url_for(".detail", share_id=share.id)), 409
    if share.is_reply and decision == "kept_private":  # for a reply that would mean "passed on": say so there
        flash("This is a reply: pass it on to its storyteller, or reject it.", "error")
        return redirect(url_for(".detail", share_id=share.id)), 409
    shares.decide(share.id, decision, actor=f"staff:{current_user.id}")
    audit.record(action, "share", share.id)
    database.commit()
    flash(message)
    return redirect(url_for(".queue"))


def _indices(share: Share, value: str | None) -> list[int]:
    return review.parse_indices(value, len(review.words(share)))


def _render(share: Share, value: str | None) -> bytes:
    if not share.original_key:
        abort(409)
    spans = review.bleep_spans(share, _indices(share, value))
    try:
        return redaction.render(storage().get(share.original_key), spans, disguised=bool(share.disguise))
    except (FileNotFoundError, redaction.RedactionError):
        log.exception("could not render share %s", share.id)
        abort(409)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
