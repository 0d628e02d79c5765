"""Actions of the circles flows: what is open, joining, the conference, star menus, reminders."""
from __future__ import annotations

import logging

from ivr import circle_control, circles, reminders, schedule
from ivr.actions.registry import action
from ivr.extensions import db
from ivr.models.circles import Circle, CircleParticipant

log = logging.getLogger(__name__)

MAX_PIN_FAILURES = 3


# ---- hearing what is open and choosing a circle ----------------------------------------------

@action("circles_overview")
def circles_overview(ctx, step, response):
    """Say which circles are open now and when the others meet next."""
    voice = ctx.voice
    found = circles.active_circles()
    if not found:
        voice.speak(response, "circles_none")
        return "main_menu"
    mine = [c for c in found if c.language == ctx.language] or found
    for circle in mine:
        if _joinable(circle):
            voice.speak(response, "circle_open_now", number=circle.number, name=circle.name)
    for circle in mine:
        if not _joinable(circle):
            voice.speak(response, "circle_meets_next", number=circle.number, name=circle.name,
                        when=_when(ctx, circle))
    return "circle_menu"


@action("circle_pick")
def circle_pick(ctx, step, response):
    """Join straight away when exactly one circle is open; otherwise ask for its number."""
    open_now = [c for c in circles.active_circles() if _joinable(c)]
    if len(open_now) == 1:
        circles.choose_circle(ctx.call.call_sid, open_now[0])
        return "circle_join"
    return "circle_number"


@action("circle_number")
def circle_number(ctx, step, response):
    """Digits step: the prompt asks for a circle number (rendered by the engine)."""
    return None


@circle_number.on_input
def circle_number_entered(ctx, step, response):
    """Choose the circle whose number was keyed; 0 is the crisis line."""
    digits = (ctx.form.get("Digits") or "").strip("#* ")
    if digits == "0":
        return "crisis"
    circle = circles.find_circle(digits)
    if circle is None:
        ctx.voice.speak(response, "circle_unknown")
        from ivr.engine import miss  # late: ivr.engine imports the action registry
        miss(ctx, step, response, "invalid")
        return None
    ctx.log(step.name, "chosen")
    circles.choose_circle(ctx.call.call_sid, circle)
    return "circle_join"


@action("circle_join")
def circle_join(ctx, step, response):
    """Admit the caller to the chosen circle, or explain kindly why not and when it meets."""
    circle = _chosen(ctx)
    if circle is None:
        return "circle_menu"
    session = circles.current_session(circle)
    if not (_joinable(circle) or circles.is_live(session)):
        ctx.voice.speak(response, "circle_closed", name=circle.name, when=_when(ctx, circle))
        return "circle_closed_menu"
    session = circles.open_session(circle)
    admission = circles.admit(session, ctx.call.call_sid, caller_id=ctx.call.caller_id)
    if admission.refused:
        prompt = "circle_locked" if admission.refused == "locked" else "circle_full"
        ctx.voice.speak(response, prompt, name=circle.name, when=_when(ctx, circle, upcoming=True))
        ctx.log(step.name, admission.refused)
        return "circle_full_menu"
    return "circle_name"


@action("circle_name_record")
def circle_name_record(ctx, step, response):
    """Record a 2-second first name for the roll call (optional, never shared beyond it)."""
    ctx.voice.speak(response, "circle_name_record")
    response.record(max_length=2, timeout=3, play_beep=True, trim="trim-silence",
                    action=ctx.step_url(step.name, "/input"), method="POST",
                    recording_status_callback=ctx.url("/voice/circles/name-recording"),
                    recording_status_callback_event="completed")
    return None


@circle_name_record.on_input
def circle_name_recorded(ctx, step, response):
    """Keep Twilio's recording id and URL (the file is fetched later, if at all); then join."""
    if ctx.form.get("RecordingSid"):
        circles.keep_first_name(ctx.call.call_sid, ctx.form.get("RecordingSid"), ctx.form.get("RecordingUrl"))
    return "circle_enter"


# ---- the conference ------------------------------------------------------------------------

@action("circle_enter")
def circle_enter(ctx, step, response):
    """Dial the caller into the circle's conference (rules first for late joiners)."""
    state = circles.call_state(ctx.call.call_sid)
    circle = _chosen(ctx)
    if circle is None:
        return "circle_menu"
    facilitator = state.facilitator_id is not None and state.circle_id == circle.id
    session = circles.open_session(circle)
    admission = circles.admit(session, ctx.call.call_sid, caller_id=ctx.call.caller_id,
                              role="facilitator" if facilitator else "participant")
    if admission.refused:
        ctx.voice.speak(response, "circle_locked" if admission.refused == "locked" else "circle_full",
                        name=circle.name, when=_when(ctx, circle, upcoming=True))
        return "circle_full_menu"
    participant = admission.participant
    voice = ctx.voice
    if facilitator:
        circles.started_by(session, state.facilitator_id)
        if participant.joined_at is None:
            voice.speak(response, "circle_fac_welcome")
    elif not participant.rules_heard and circles.is_live(session):
        voice.speak(response, "circle_rules")  # a late joiner: the start announcement is over
        circles.mark_rules_heard(participant)
    if not facilitator and participant.joined_at is None:
        voice.speak(response, "circle_joining" if participant.muted else "circle_joining_unmuted")
    elif participant.joined_at is not None:
        voice.speak(response, "circle_back_in")
    dial = response.dial(hangup_on_star=True, action=ctx.step_url(step.name, "/input"), method="POST",
                         timeout=30, time_limit=4 * 3600)
    # Never record circles: no `record` attribute, ever. Names sent to Twilio are opaque.
    dial.conference(
        session.conference_name,
        participant_label=participant.label,
        muted=participant.muted and not facilitator,
        start_conference_on_enter=facilitator,
        end_conference_on_exit=False,  # the facilitator steps out to the star menu mid-circle
        beep=False,
        wait_url=ctx.url(f"/voice/circles/wait?c={circle.id}"),
        wait_method="POST",
        max_participants=min(circle.cap + 2, 250),  # the cap plus facilitators
        status_callback=ctx.url("/voice/circles/conference"),
        status_callback_method="POST",
        status_callback_event="start end join leave mute hold speaker",
    )
    return None


@circle_enter.on_input
def circle_left_conference(ctx, step, response):
    """The conference leg ended: the star menu, unless the circle ended or the caller was removed."""
    participant = circles.participant_of_call(ctx.call.call_sid)
    if participant is None:
        return "circle_menu"
    if participant.removed:
        return "circle_removed"
    if participant.session.status == "ended":
        return "circle_ended"
    circles.step_out(participant)
    return "circle_star_facilitator" if participant.role == "facilitator" else "circle_star_participant"


@action("circle_hand")
def circle_hand(ctx, step, response):
    """Raise or lower the caller's hand, then back into the circle."""
    participant = _participant(ctx)
    if participant is not None:
        raised = circles.toggle_hand(participant)
        ctx.voice.speak(response, "circle_hand_raised" if raised else "circle_hand_lowered")
    return "circle_enter"


@action("circle_count")
def circle_count(ctx, step, response):
    """Say how many people are in the circle, then back in."""
    participant = _participant(ctx)
    if participant is not None:
        _say_count(ctx, response, len(circles.present(participant.session)))
    return "circle_enter"


@action("circle_leave")
def circle_leave(ctx, step, response):
    """Leave the circle for good and return to the main menu."""
    participant = _participant(ctx)
    if participant is not None:
        circles.leave(participant)
    ctx.voice.speak(response, "circle_leave")
    return "main_menu"


# ---- facilitators --------------------------------------------------------------------------

@action("circle_fac_number")
def circle_fac_number(ctx, step, response):
    """Digits step: a facilitator keys their circle number."""
    return None


@circle_fac_number.on_input
def circle_fac_number_entered(ctx, step, response):
    """Remember the circle; the PIN comes next (the number alone proves nothing)."""
    digits = (ctx.form.get("Digits") or "").strip("#* ")
    if digits == "0":
        return "crisis"
    circle = circles.find_circle(digits)
    if circle is None:
        ctx.voice.speak(response, "circle_unknown")
        from ivr.engine import miss
        miss(ctx, step, response, "invalid")
        return None
    circles.choose_circle(ctx.call.call_sid, circle)
    return "circle_fac_pin"


@action("circle_fac_pin")
def circle_fac_pin(ctx, step, response):
    """Digits step (sensitive): the facilitator's PIN."""
    return None


@circle_fac_pin.on_input
def circle_fac_pin_entered(ctx, step, response):
    """Verify the PIN against the circle's facilitators; three wrong tries end the attempt."""
    pin = (ctx.form.get("Digits") or "").strip("#* ")
    circle = _chosen(ctx)
    if circle is not None and circles.pin_guessing(circle):
        log.warning("PIN sign-in paused for circle %s: too many wrong PINs lately", circle.number)
        ctx.log(step.name, "paused")
        ctx.voice.speak(response, "circle_fac_pin_locked")
        return "main_menu"
    facilitator = circles.verify_facilitator(circle, pin) if circle else None
    if facilitator is None:
        failures = circles.note_pin_failure(ctx.call.call_sid)
        ctx.log(step.name, "wrong")  # never the digits
        if failures >= MAX_PIN_FAILURES:
            ctx.voice.speak(response, "circle_fac_pin_locked")
            return "main_menu"
        ctx.voice.speak(response, "circle_fac_pin_wrong")
        return "circle_fac_pin"
    ctx.log(step.name, "ok")
    circles.log_in_facilitator(ctx.call.call_sid, facilitator)
    return "circle_enter"


@action("circle_fac_unmute_next")
def circle_fac_unmute_next(ctx, step, response):
    """Unmute the first raised hand and announce it."""
    session = _facilitated_session(ctx)
    if session is None:
        return "circle_star_facilitator"
    result = circle_control.unmute_next(session)
    if result.note == "no_hands":
        ctx.voice.speak(response, "circle_no_hands")
    elif result.ok and not result.note:
        waiting = len(circles.hand_queue(session))
        prompt = {0: "circle_unmuted_next_last", 1: "circle_unmuted_next_one"}.get(waiting, "circle_unmuted_next")
        ctx.voice.speak(response, prompt, waiting=waiting)
    _report_failures(ctx, response, result)
    return "circle_star_facilitator"


@action("circle_fac_mute_all")
def circle_fac_mute_all(ctx, step, response):
    """Mute everyone but the facilitators."""
    session = _facilitated_session(ctx)
    if session is None:
        return "circle_star_facilitator"
    result = circle_control.mute_all(session)
    if result.ok:
        ctx.voice.speak(response, "circle_muted_all")
    _report_failures(ctx, response, result)
    return "circle_star_facilitator"


@action("circle_fac_lock")
def circle_fac_lock(ctx, step, response):
    """Lock an open circle, or unlock a locked one."""
    session = _facilitated_session(ctx)
    if session is None:
        return "circle_star_facilitator"
    locked = not session.locked
    circle_control.set_lock(session, locked)
    ctx.voice.speak(response, "circle_locked_now" if locked else "circle_unlocked_now")
    return "circle_star_facilitator"


@action("circle_fac_count")
def circle_fac_count(ctx, step, response):
    """The count of participants and the raised hands in order (first names where recorded)."""
    session = _facilitated_session(ctx)
    if session is None:
        return "circle_star_facilitator"
    hands = circles.hand_queue(session)
    ctx.voice.speak(response, "circle_fac_count", count=len(circles.present(session, role="participant")),
                    hands=len(hands))
    if hands:
        ctx.voice.speak(response, "circle_fac_hand_order")
        for participant in hands:
            if participant.name_recording_url:
                response.play(participant.name_recording_url)
            else:
                ctx.voice.speak(response, "circle_fac_hand_unnamed")
    return "circle_star_facilitator"


@action("circle_fac_remove_last")
def circle_fac_remove_last(ctx, step, response):
    """Remove whoever last had the floor."""
    session = _facilitated_session(ctx)
    if session is None:
        return "circle_star_facilitator"
    result = circle_control.remove_last_speaker(session)
    if result.note == "no_speaker":
        ctx.voice.speak(response, "circle_no_last_speaker")
    elif result.ok:
        ctx.voice.speak(response, "circle_removed_last")
    _report_failures(ctx, response, result)
    return "circle_star_facilitator"


@action("circle_fac_end")
def circle_fac_end(ctx, step, response):
    """End the circle for everyone."""
    session = _facilitated_session(ctx)
    if session is None:
        return "main_menu"
    result = circle_control.end_circle(session)
    if not result.ok:
        _report_failures(ctx, response, result)
        return "circle_star_facilitator"
    ctx.voice.speak(response, "circle_fac_ended")
    return "main_menu"


# ---- reminders -----------------------------------------------------------------------------

@action("circle_reminder_pick")
def circle_reminder_pick(ctx, step, response):
    """With one circle, remind about it; otherwise ask which."""
    found = circles.active_circles()
    if not found:
        ctx.voice.speak(response, "circles_none")
        return "circle_menu"
    if len(found) == 1:
        circles.choose_circle(ctx.call.call_sid, found[0])
        return "circle_reminder_channel"
    return "circle_reminder_number"


@action("circle_reminder_number")
def circle_reminder_number(ctx, step, response):
    """Digits step: which circle to be reminded about."""
    return None


@circle_reminder_number.on_input
def circle_reminder_number_entered(ctx, step, response):
    """Choose the circle for the reminder; 0 is the crisis line."""
    digits = (ctx.form.get("Digits") or "").strip("#* ")
    if digits == "0":
        return "crisis"
    circle = circles.find_circle(digits)
    if circle is None:
        ctx.voice.speak(response, "circle_unknown")
        from ivr.engine import miss
        miss(ctx, step, response, "invalid")
        return None
    circles.choose_circle(ctx.call.call_sid, circle)
    return "circle_reminder_channel"


@action("circle_reminder_request")
def circle_reminder_request(ctx, step, response):
    """Ask for a reminder call or text before the chosen circle's next meeting."""
    circle = _chosen(ctx)
    if circle is None:
        return "circle_menu"
    if ctx.caller is None:
        ctx.voice.speak(response, "circle_reminder_no_caller_id")
        return "circle_menu"
    reminder = reminders.request(circle, ctx.caller, ctx.form.get("From"), step.args["channel"], ctx.language)
    ctx.voice.speak(response, "circle_reminder_set", name=circle.name,
                    when=schedule.spoken_when(reminder.meeting_at.astimezone(schedule.zone(circle.timezone)),
                                              ctx.language, ctx.flows.prompts))
    return "main_menu"


@action("circle_reminder_intro")
def circle_reminder_intro(ctx, step, response):
    """The start of a reminder call Peerline placed: which circle, and when."""
    state = circles.call_state(ctx.call.call_sid)
    reminder = reminders.get(state.reminder_id) if state.reminder_id else None
    if reminder is None or reminder.opted_out:
        ctx.voice.speak(response, "circle_reminder_gone")
        return "goodbye"
    circles.choose_circle(ctx.call.call_sid, reminder.circle)
    ctx.voice.speak(response, "circle_reminder_intro", name=reminder.circle.name)
    return "circle_reminder_menu"


@action("circle_reminder_optout")
def circle_reminder_optout(ctx, step, response):
    """Stop every pending reminder for this caller (their stored number is deleted)."""
    state = circles.call_state(ctx.call.call_sid)
    reminders.opt_out(state.reminder_id, ctx.call.caller_id)
    ctx.voice.speak(response, "circle_reminder_optout")
    return "goodbye"


# ---- helpers -------------------------------------------------------------------------------

def _joinable(circle: Circle) -> bool:
    return schedule.open_now(circle) or circles.is_live(circles.current_session(circle))


def _when(ctx, circle: Circle, upcoming: bool = False) -> str:
    meeting = schedule.next_meeting(circle) if upcoming else schedule.current_or_next(circle)
    return schedule.spoken_when(meeting.start, ctx.language, ctx.flows.prompts)


def _chosen(ctx) -> Circle | None:
    state = circles.call_state(ctx.call.call_sid)
    if state.circle_id is None:
        return None
    return db.session.get(Circle, state.circle_id)


def _participant(ctx) -> CircleParticipant | None:
    return circles.participant_of_call(ctx.call.call_sid)


def _facilitated_session(ctx):
    """The meeting this call facilitates (None if this call is not its facilitator)."""
    participant = _participant(ctx)
    if participant is None or participant.role != "facilitator":
        return None
    return participant.session


def _say_count(ctx, response, count: int) -> None:
    if count == 1:
        ctx.voice.speak(response, "circle_count_one")
    else:
        ctx.voice.speak(response, "circle_count", count=count)


def _report_failures(ctx, response, result) -> None:
    """Tell the facilitator when a control did not work for some people."""
    if len(result.failed) == 1:
        ctx.voice.speak(response, "circle_control_failed_one")
    elif result.failed:
        ctx.voice.speak(response, "circle_control_failed", count=len(result.failed))
