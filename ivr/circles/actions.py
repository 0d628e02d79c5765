"""Actions of the circles flows: what is open, joining, the conference and the participant's star
menu, plus the helpers the facilitator and reminder actions share."""
from __future__ import annotations

from ivr.circles import status as circle_status
from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.circles import schedule
from ivr.calls.registry import action
from ivr.extensions import db
from ivr.circles.models import Circle, CircleParticipant
from ivr.calls.engine import miss


# ---- hearing what is open and choosing a circle ----------------------------------------------

@action("circles_overview")
def circles_overview(ctx, step, response):
    """Say which circles are open now and when the others meet: the caller's language first, and
    a circle's language named when it is not the caller's."""
    voice = ctx.voice
    found = [(c, circle_status.status_of(c)) for c in circles.active_circles()]
    if not found:
        voice.speak(response, "circles_none")
        return "main_menu"
    found.sort(key=lambda pair: (pair[0].language != ctx.language, not pair[1].open, pair[0].number))
    for circle, status in found:
        if status.open:
            voice.speak(response, "circle_open_now", number=circle.number, name=circle.name)
        else:
            voice.speak(response, "circle_meets", number=circle.number, name=circle.name,
                        when=_spoken(ctx, status.meeting))
        if circle.language != ctx.language:
            voice.speak(response, "circle_in_language", language_name=language_name(ctx, circle.language))
    return "circle_menu"


@action("circle_pick")
def circle_pick(ctx, step, response):
    """Join straight away when exactly one circle in the caller's language is open; otherwise ask
    for its number (a circle in another language is joined only by choosing it)."""
    open_now = [c for c in circles.active_circles(ctx.language) if circle_status.status_of(c).open]
    if len(open_now) == 1:
        circles.choose_circle(ctx.call.call_sid, open_now[0])
        return "circle_join"
    return "circle_number"


@action("circle_choose")
def circle_choose(ctx, step, response):
    """Digits step: the caller keys a circle number (the engine speaks the step's prompt)."""
    return None


@circle_choose.on_input
def circle_chosen(ctx, step, response):
    """Choose the circle whose number was keyed and go on to the step's `next`; 0 is the crisis line."""
    digits = (ctx.form.get("Digits") or "").strip("#* ")
    if digits == "0":
        return "crisis"
    circle = circles.find_circle(digits)
    if circle is None:
        ctx.voice.speak(response, "circle_unknown")
        miss(ctx, step, response, "invalid")
        return None
    ctx.log(step.name, "chosen")
    circles.choose_circle(ctx.call.call_sid, circle)
    return step.args["next"]


@action("circle_join")
def circle_join(ctx, step, response):
    """Admit the caller to the chosen circle, or explain kindly why not and when it meets."""
    circle = chosen_circle(ctx)
    if circle is None:
        return "circle_menu"
    status = circle_status.status_of(circle)
    if not status.open:
        ctx.voice.speak(response, "circle_closed_when", name=circle.name, when=_spoken(ctx, status.meeting))
        return "circle_closed_menu"
    session = circles.open_session(circle)
    admission = circle_roster.admit(session, ctx.call.call_sid, caller_id=ctx.call.caller_id)
    if admission.refused:
        prompt = "circle_locked" if admission.refused == "locked" else "circle_full"
        ctx.voice.speak(response, prompt, name=circle.name, when=when_said(ctx, circle))
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
    circle = chosen_circle(ctx)
    if circle is None:
        return "circle_menu"
    facilitator = state.facilitator_id is not None and state.circle_id == circle.id
    session = circles.open_session(circle)
    admission = circle_roster.admit(session, ctx.call.call_sid, caller_id=ctx.call.caller_id,
                              role="facilitator" if facilitator else "participant")
    if admission.refused:
        ctx.voice.speak(response, "circle_locked" if admission.refused == "locked" else "circle_full",
                        name=circle.name, when=when_said(ctx, circle))
        return "circle_full_menu"
    participant = admission.participant
    voice = ctx.voice
    if facilitator:
        circle_roster.started_by(session, state.facilitator_id)
        if participant.joined_at is None:
            voice.speak(response, "circle_fac_welcome")
    elif not participant.rules_heard and circles.is_live(session):
        voice.speak(response, "circle_rules")  # a late joiner: the start announcement is over
        voice.speak(response, "circle_rules_keys")
        circle_roster.mark_rules_heard(participant)
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
        start_conference_on_enter=facilitator or session.staff_started,
        end_conference_on_exit=False,  # the facilitator steps out to the star menu mid-circle
        beep=False,
        wait_url=ctx.url(f"/voice/circles/wait?c={circle.id}" + ("&f=1" if facilitator else "")),
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
    circle_roster.step_out(participant)
    return "circle_star_facilitator" if participant.role == "facilitator" else "circle_star_participant"


@action("circle_hand")
def circle_hand(ctx, step, response):
    """Raise or lower the caller's hand, then back into the circle."""
    participant = participant_of(ctx)
    if participant is not None:
        raised = circle_roster.toggle_hand(participant)
        ctx.voice.speak(response, "circle_hand_raised" if raised else "circle_hand_lowered")
    return "circle_enter"


@action("circle_count")
def circle_count(ctx, step, response):
    """Say how many people are in the circle, then back in."""
    participant = participant_of(ctx)
    if participant is not None:
        others = [p for p in circle_roster.present(participant.session) if p.id != participant.id]
        _say_count(ctx, response, len(others))
    return "circle_enter"


@action("circle_leave")
def circle_leave(ctx, step, response):
    """Leave the circle for good and return to the main menu."""
    participant = participant_of(ctx)
    if participant is not None:
        circle_roster.leave(participant)
    ctx.voice.speak(response, "circle_leave")
    return "main_menu"


# ---- helpers -------------------------------------------------------------------------------

def when_said(ctx, circle: Circle) -> str:
    """When someone who cannot join now can come next, said in the caller's language."""
    return _spoken(ctx, circle_status.status_of(circle).next_time)


def _spoken(ctx, meeting: schedule.Meeting) -> str:
    return schedule.spoken_when(meeting.start, ctx.language, ctx.flows.prompts)


def language_name(ctx, code: str) -> str:
    """A language's name in the caller's language ("inglés"), else in its own ("Français")."""
    prompt_id = f"circle_language_{code}"
    if prompt_id in ctx.flows.prompts:
        return ctx.flows.prompts.text(prompt_id, ctx.language)
    known = ctx.flows.prompts.languages.get(code)
    return known.name if known else code


def chosen_circle(ctx) -> Circle | None:
    """The circle this call chose (by key, number, facilitator sign-in or reminder)."""
    state = circles.call_state(ctx.call.call_sid)
    if state.circle_id is None:
        return None
    return db.session.get(Circle, state.circle_id)


def participant_of(ctx) -> CircleParticipant | None:
    """This call's roster row in its latest meeting."""
    return circles.participant_of_call(ctx.call.call_sid)


def facilitated_session(ctx):
    """The meeting this call facilitates (None if this call is not its facilitator)."""
    participant = participant_of(ctx)
    if participant is None or participant.role != "facilitator":
        return None
    return participant.session


def _say_count(ctx, response, others: int) -> None:
    """How many others are here; a caller on their own hears that others may join, never "0 people"."""
    if others == 0:
        ctx.voice.speak(response, "circle_count_alone")
    elif others == 1:
        ctx.voice.speak(response, "circle_count_one")
    else:
        ctx.voice.speak(response, "circle_count", count=others)


def report_failures(ctx, response, result) -> None:
    """Tell the facilitator when a control did not work for some people."""
    if len(result.failed) == 1:
        ctx.voice.speak(response, "circle_control_failed_one")
    elif result.failed:
        ctx.voice.speak(response, "circle_control_failed", count=len(result.failed))
