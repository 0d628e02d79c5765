"""Actions for leaving a voice share: choices, the recording, and the review menu.

The caller's choices live on a ShareDraft (one per recording attempt); the share itself is
made by Twilio's recording status callback (ivr/shares/callbacks.py), so a hang-up mid-recording
still yields a share.
"""
from __future__ import annotations

from ivr.shares import drafts
from ivr.shares import domain as shares
from ivr.calls import keypad
from ivr.calls.registry import action
from ivr.calls.engine import miss
from ivr.calls.twiml import slow_digits

PIN_DIGITS = 4
RECORD_SILENCE_TIMEOUT = 10  # seconds of silence that end a recording: people pause to think
RECORD_DONE, RECORD_CRISIS = "#", "0"  # keys that end a recording: review it, or the crisis step
HEAR_AGAIN = "1"


@action("share_start")
def share_start(ctx, step, response):
    """Leaving a share; a recording from this call not yet kept or discarded is offered back first."""
    draft = _draft(ctx)
    if draft is not None and draft.recording_sid and draft.outcome is None:
        ctx.voice.speak(response, "share_draft_back")
        return _review(draft)
    return "share_intro"


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
        max_length=ctx.config["MAX_REPLY_SECONDS" if reply else "MAX_SHARE_SECONDS"],
        finish_on_key=RECORD_DONE + RECORD_CRISIS, play_beep=True,
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
    """The <Record> action: remember the recording for the review menu (the share comes by callback).

    0 ended it: the recording is kept as a draft (the share is persisted by Twilio's callback
    whatever happens) and the caller goes to the crisis step; afterwards they come back to it.
    """
    draft = _draft(ctx)
    sid = (ctx.form.get("RecordingSid") or "").strip()
    duration = ctx.form.get("RecordingDuration") or "0"
    crisis = (ctx.form.get("Digits") or "").strip() == RECORD_CRISIS
    if draft is not None and sid:
        drafts.note_recording(draft, sid, ctx.form.get("RecordingUrl"), int(duration) if duration.isdigit() else None)
    if crisis:
        ctx.call.step = _review(draft)  # where the crisis step brings the caller back to
        if draft is not None and sid:
            ctx.voice.speak(response, "share_draft_kept")
        return "crisis"
    if draft is None or not sid or (duration.isdigit() and int(duration) == 0):
        return "share_nothing"
    return _review(draft)


def _review(draft) -> str:
    """The review menu: a reply's speaks of a reply (flows/replies.toml), a share's of a message."""
    return "reply_review" if draft is not None and draft.reply_to_story_id is not None else "share_review"


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
    return _review(draft)


@action("share_keep")
def share_keep(ctx, step, response):
    """Keep it: thank the caller and give the reference number digit by digit, twice."""
    draft = _draft(ctx)
    if draft is None or not draft.recording_sid:
        return "share_nothing"
    drafts.keep_draft(draft)
    if drafts.share_for_draft(draft) is None:
        shares.receive_kept(draft)  # never lose a kept share to a late or lost callback
    reply = draft.reply_to_story_id is not None
    if ctx.caller is not None:
        # Found again by caller ID: no number to note.
        ctx.voice.speak(response, "reply_kept_known" if reply else "share_kept_known")
        return _after_keep(draft)
    _say_reference(ctx, response, draft)
    return None


@share_keep.on_input
def share_keep_key(ctx, step, response):
    """After the reference number: 1 hears it again, # (or waiting) goes on (a reply: back to the topics)."""
    key = keypad.pressed(ctx)[:1]
    draft = _draft(ctx)
    if key == RECORD_CRISIS:
        return "crisis"
    if key == HEAR_AGAIN and draft is not None:
        keypad.chose(ctx)
        _say_reference(ctx, response, draft)
        return None
    if key == "*" and draft is not None:
        g = keypad.gather(ctx, response, step.name)
        ctx.voice.speak(g, _kept_again(draft))
        return None
    keypad.chose(ctx)
    return _after_keep(draft)


def _after_keep(draft) -> str:
    """A reply goes back to the stories it came from; a share to the main menu."""
    return "stories" if draft is not None and draft.reply_to_story_id is not None else "main_menu"


def _kept_again(draft) -> str:
    return "reply_kept_again" if draft.reply_to_story_id is not None else "share_kept_again"


def _say_reference(ctx, response, draft) -> None:
    """The reference number slowly, twice, inside a gather offering to hear it again."""
    reply = draft.reply_to_story_id is not None
    g = keypad.gather(ctx, response, "share_keep")
    ctx.voice.speak(g, "reply_kept" if reply else "share_kept", reference=slow_digits(draft.reference))
    ctx.voice.speak(g, "share_kept_pin")
    ctx.voice.speak(g, _kept_again(draft))


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
