"""Reminder actions: ask for a call or text before a circle meets; the reminder call itself."""
from __future__ import annotations

from ivr.circles import domain as circles
from ivr.circles import reminders
from ivr.circles import schedule
from ivr.circles.actions import chosen_circle
from ivr.calls.registry import action


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


@action("circle_reminder_request")
def circle_reminder_request(ctx, step, response):
    """Ask for a reminder call or text before the chosen circle's next meeting."""
    circle = chosen_circle(ctx)
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
