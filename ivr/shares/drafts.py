"""Recording attempts: the caller's choices for one <Record>, held until Twilio reports the recording.

A draft is not a share: the share is made (keyed by RecordingSid) by ivr.shares when Twilio's
recording status callback arrives. The caller's review choices (keep, discard, record again)
land here first, and reach the share through ivr.shares.
"""
from __future__ import annotations

from sqlalchemy import select

from ivr.extensions import db
from ivr.calls.models import Call
from ivr.shares.models import Share, ShareDraft
from ivr.shares.models import CONSENTS
from ivr.shares.domain import ShareError, discard, find_by_recording_sid, hash_pin, new_reference


def start_draft(call: Call, consent: str | None = None, disguise: bool = False,
                reply_to_story_id: int | None = None) -> ShareDraft:
    """Open a new recording attempt for a call, closing any still-open one as replaced.

    Without a consent it is another attempt at the same share (or reply): the choices carry over.
    """
    previous = current_draft(call)
    draft = ShareDraft(call_id=call.id, reference=new_reference(), language=call.language,
                       consent=consent, disguise=disguise, reply_to_story_id=reply_to_story_id)
    if previous is not None:
        draft.consent, draft.disguise, draft.pin_hash = previous.consent, previous.disguise, previous.pin_hash
        if consent is None:
            draft.reply_to_story_id = previous.reply_to_story_id
        if previous.outcome is None and previous.recording_sid is None:
            previous.outcome = "replaced"
    if consent is not None:
        draft.consent = consent
    db.session.add(draft)
    db.session.flush()
    return draft


def find_draft(draft_id: str | int | None) -> ShareDraft | None:
    """The draft named by an opaque id (as a callback's query string carries it), if any."""
    draft_id = str(draft_id or "")
    return db.session.get(ShareDraft, int(draft_id)) if draft_id.isdigit() else None


def current_draft(call: Call) -> ShareDraft | None:
    """The call's latest recording attempt, if any."""
    return db.session.execute(
        select(ShareDraft).filter_by(call_id=call.id).order_by(ShareDraft.id.desc()).limit(1)
    ).scalar_one_or_none()


def set_choices(draft: ShareDraft, *, consent: str | None = None, disguise: bool | None = None,
                pin: str | None = None) -> None:
    """Record the caller's consent, voice-disguise and PIN choices on an attempt."""
    if consent is not None:
        if consent not in CONSENTS:
            raise ShareError(f"unknown consent {consent!r}")
        draft.consent = consent
        if consent == "private":
            draft.disguise = False
    if disguise is not None:
        draft.disguise = disguise
    if pin is not None:
        draft.pin_hash = hash_pin(pin)


def note_recording(draft: ShareDraft, recording_sid: str, recording_url: str | None, duration_s: int | None) -> None:
    """Remember what the <Record> action reported, so the caller can hear it back."""
    draft.recording_sid = recording_sid
    draft.recording_url = recording_url
    draft.duration_s = duration_s


def share_for_draft(draft: ShareDraft) -> Share | None:
    """The share made from an attempt's recording, once Twilio's callback has arrived."""
    if not draft.recording_sid:
        return None
    return find_by_recording_sid(draft.recording_sid)


def keep_draft(draft: ShareDraft) -> None:
    """The caller chose to keep the recording."""
    draft.outcome = "kept"


def discard_draft(draft: ShareDraft, outcome: str = "discarded") -> Share | None:
    """The caller discarded (or re-recorded over) the attempt: nothing of it is ever published."""
    draft.outcome = outcome
    share = share_for_draft(draft)
    return discard(share.id) if share is not None else None
