"""Actions for leaving a voice share: choices, the recording, and the review menu.

The caller's choices live on a ShareDraft (one per recording attempt); the share itself is
made by Twilio's recording status callback (ivr/voice/shares.py), so a hang-up mid-recording
still yields a share.
"""
from __future__ import annotations

from ivr import share_drafts as drafts
from ivr import shares
from ivr.actions.registry import action
from ivr.engine import miss
from ivr.twiml import slow_digits

PIN_DIGITS = 4
RECORD_SILENCE_TIMEOUT = 10  # seconds of silence that end a recording: people pause to think


@action("share_choose")
def share_choose(ctx, step, response):
    """Record a consent or disguise choice, then ask the next question or go to the recording."""
    args = step.args
    if "consent" in args:
        draft = drafts.start_draft(ctx.call, consent=args["consent"])
        if args["consent"] == "library":
            return "share_disguise"
    else:
        draft = _draft(ctx)
        if draft is None:
            return "shares"
        drafts.set_choices(draft, disguise=bool(args.get("disguise")))
    ctx.voice.speak(response, "share_choice_noted")
    return "share_pin" if ctx.caller is None else "share_record"


@action("share_pin")
def share_pin_render(ctx, step, response):
    """Only reached as a digits step; rendering is the engine's."""
    return None


@share_pin_render.on_input
def share_pin(ctx, step, response):
    """A caller without caller ID sets a PIN to find the share again (hashed, never logged)."""
    pin = (ctx.form.get("Digits") or "").strip().rstrip("#")
    if pin == "0":
        return "crisis"
    if len(pin) != PIN_DIGITS or not pin.isdigit():
        miss(ctx, step, response, "share_pin_invalid")
        return None
    draft = _draft(ctx)
    if draft is None:
        return "shares"
    drafts.set_choices(draft, pin=pin)
    ctx.call.misses = 0
    ctx.log(step.name, "set")
    ctx.voice.speak(response, "share_pin_set")
    return "share_record"


@action("share_record")
def share_record(ctx, step, response):
    """Explain, beep, record (finish with #, silence trimmed, capped); Twilio reports the recording."""
    draft = _draft(ctx)
    if draft is None or draft.recording_sid or draft.outcome:
        draft = drafts.start_draft(ctx.call)
    if draft.consent is None:
        return "shares"
    reply = draft.reply_to_story_id is not None
    ctx.voice.speak(response, "reply_record" if reply else "share_record")
    response.record(
        action=ctx.step_url(step.name, "/input"), method="POST",
        max_length=ctx.config["MAX_REPLY_SECONDS" if reply else "MAX_SHARE_SECONDS"], finish_on_key="#", play_beep=True,
        trim="trim-silence", timeout=RECORD_SILENCE_TIMEOUT,
        recording_status_callback=ctx.url(f"/voice/shares/recording?d={draft.id}"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    # Twilio skips the action when nothing at all was recorded and carries on here.
    response.redirect(ctx.step_url("share_nothing"), method="POST")
    return None


@share_record.on_input
def share_recorded(ctx, step, response):
    """The <Record> action: remember the recording for the review menu (the share comes by callback)."""
    draft = _draft(ctx)
    sid = (ctx.form.get("RecordingSid") or "").strip()
    duration = ctx.form.get("RecordingDuration") or "0"
    if draft is None or not sid:
        return "share_nothing"
    drafts.note_recording(draft, sid, ctx.form.get("RecordingUrl"), int(duration) if duration.isdigit() else None)
    if duration.isdigit() and int(duration) == 0:
        return "share_nothing"
    return "share_review"


@action("share_hear")
def share_hear(ctx, step, response):
    """Play the caller's recording back from Twilio, then the review menu again."""
    draft = _draft(ctx)
    if draft is None or not draft.recording_url:
        return "share_nothing"
    if drafts.share_for_draft(draft) is None:
        # Twilio has not reported the recording complete yet; its media may still 404 for a moment.
        response.pause(length=2)
    response.play(draft.recording_url)
    return "share_review"


@action("share_keep")
def share_keep(ctx, step, response):
    """Keep it: thank the caller and give the reference number digit by digit, twice."""
    draft = _draft(ctx)
    if draft is None or not draft.recording_sid:
        return "share_nothing"
    drafts.keep_draft(draft)
    if drafts.share_for_draft(draft) is None:
        shares.receive_kept(draft)  # never lose a kept share to a late or lost callback
    reference = slow_digits(draft.reference)
    reply = draft.reply_to_story_id is not None
    ctx.voice.speak(response, "reply_kept" if reply else "share_kept", reference=reference)
    if ctx.caller is None:
        ctx.voice.speak(response, "share_kept_pin")
    return "stories" if reply else "main_menu"


@action("share_again")
def share_again(ctx, step, response):
    """Record again: the previous recording is discarded, the same choices are kept."""
    draft = _draft(ctx)
    if draft is not None and draft.recording_sid and draft.outcome is None:
        drafts.discard_draft(draft, outcome="replaced")
    return "share_record"


@action("share_discard")
def share_discard(ctx, step, response):
    """Discard it: nothing is kept or published, and Twilio's copy is deleted."""
    draft = _draft(ctx)
    if draft is not None and draft.outcome is None:
        drafts.discard_draft(draft)
    ctx.voice.speak(response, "share_discarded")
    return "main_menu"


def _draft(ctx):
    return drafts.current_draft(ctx.call)
