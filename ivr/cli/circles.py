"""`peerline circles ...`: small admin commands to set up circles and send due reminders."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.circles import status as circle_status
from ivr.circles import domain as circles
from ivr.calls.callers import number_hash
from ivr.extensions import db


@click.group("circles")
def circles_command():
    """Set up circles and their facilitators."""


@circles_command.command("create")
@click.option("--number", type=int, required=True, help="The number callers key in (1-9999).")
@click.option("--name", required=True)
@click.option("--topic", default="")
@click.option("--language", default="en", show_default=True)
@click.option("--days", required=True, help='Meeting days, e.g. "tue,thu".')
@click.option("--time", "start_time", required=True, help='Start time, e.g. "19:00" or "7pm".')
@click.option("--tz", "timezone_name", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--duration", "duration_min", type=int, default=60, show_default=True, help="Minutes.")
@click.option("--cap", type=int, default=12, show_default=True, help="Participants (at most 250).")
@click.option("--unmuted", is_flag=True, help="Participants join unmuted (default: listen first).")
@with_appcontext
def create(number, name, topic, language, days, start_time, timezone_name, duration_min, cap, unmuted):
    """Create a circle with a weekly schedule."""
    try:
        circle = circles.create_circle(number=number, name=name, topic=topic, language=language, days=days,
                                       start_time=start_time, timezone_name=timezone_name,
                                       duration_min=duration_min, cap=cap, participant_muted_default=not unmuted)
    except circles.CircleError as exc:
        raise click.BadParameter(str(exc)) from exc
    db.session.commit()
    click.echo(f"circle {circle.number} created: {circle.name}. {circle_status.staff_text(circle)}.")


@circles_command.command("add-facilitator")
@click.option("--circle", "number", type=int, required=True, help="The circle's number.")
@click.option("--label", required=True, help="How the facilitator appears to staff.")
@click.option("--staff-user-id", type=int, default=None)
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="6-8 digits (asked if omitted).")
@click.option("--phone", default=None, help="Their own phone (only its HMAC is kept): skips the circle-wide PIN pause.")
@with_appcontext
def add_facilitator(number, label, staff_user_id, pin, phone):
    """Assign a facilitator to a circle with a keypad PIN (stored hashed)."""
    circle = circles.find_circle(number)
    if circle is None:
        raise click.BadParameter(f"no active circle {number}")
    try:
        facilitator = circles.add_facilitator(circle, label, pin, staff_user_id=staff_user_id)
    except circles.CircleError as exc:
        raise click.BadParameter(str(exc)) from exc
    if phone:
        circles.register_facilitator_phone(facilitator, number_hash(phone, current_app.config["CALLER_HASH_KEY"]))
    db.session.commit()
    click.echo(f"facilitator {label} added to circle {number}")


@circles_command.command("list")
@with_appcontext
def list_circles():
    """List active circles: open now (until when), or their next meeting."""
    for circle in circles.active_circles():
        click.echo(f"{circle.number:>4}  {circle.name}  [{circle.language}, cap {circle.cap}]  "
                   f"{circle_status.staff_text(circle)}")


@circles_command.command("remind")
@with_appcontext
def remind():
    """Send every reminder that is due (run from cron when rq's scheduler is not used)."""
    from workers.reminders import send_due  # the worker's code loads only when this runs, never in `peerline run`
    counts = send_due()
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing due")
