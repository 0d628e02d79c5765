"""A phone in the terminal: place a simulated call, print what the caller hears, read keys."""
from __future__ import annotations

from typing import Callable

import click
from flask.cli import with_appcontext

from ivr.simulator.call import Entry, Input, parse_script_item
from ivr.simulator.core import Simulator, SimulatorError
from ivr.simulator.keyboard import ask, default_reader
from ivr.simulator.remote import ExchangeUnreachable, RemotePhone, run_remote_call
from ivr.simulator.speak import render
from flask import current_app
from flask_migrate import upgrade
import logging

DEMO_CALLER = "+15550100123"
HELP = ("keys: digits then Enter (empty line = silence) · 'say words' speaks · "
        "'rec file.wav [key|hangup]' records · 'q' hangs up")


class Printer:
    """Echo new transcript lines as the call goes."""

    def __init__(self, call, echo: Callable[[str], None]):
        self.call = call
        self.echo = echo
        self.shown = 0

    def flush(self) -> None:
        """Print what has not been printed yet."""
        for entry in self.call.transcript[self.shown:]:
            self.echo(("  " if entry.kind == "say" else "") + entry.line())
        self.shown = len(self.call.transcript)


def place_call(sim: Simulator, from_: str, to: str | None, script: str | None, echo=click.echo,
               read=None) -> "object":
    """Run one call: scripted ("1,2,#") or interactive; returns the ended Call."""
    sim.strict = False  # at a terminal, errors show in the transcript instead of raising
    if script is not None:
        items = [parse_script_item(item) for item in script.split(",")] if script.strip() else []
        call = sim.call(from_, to, script=items)
        if not call.ended:
            call.transcript.append(Entry("note", "end of script: hanging up", sim.clock))
            call.hangup()
        Printer(call, echo).flush()
        _report_errors(sim, echo)
        return call
    read = read or default_reader
    echo(HELP)
    call = sim.call(from_, to)
    printer = Printer(call, echo)
    while True:
        printer.flush()
        if call.ended:
            echo(f"[call {call.status}]")
            _report_errors(sim, echo)
            return call
        waiting = call.waiting.kind if call.waiting else "?"
        line = ask(read, waiting)
        try:
            inp = parse_script_item(line) if line.strip() else Input("silence")
        except ValueError as exc:
            echo(str(exc))
            continue
        if waiting == "conference" and inp.kind == "silence":
            _safe(sim, call.wait, echo)
            continue
        _safe(sim, lambda: sim.feed(call, inp), echo)


def _safe(sim, fn, echo):
    """Run a step; input that does not fit where the call waits is shown, not raised."""
    try:
        return fn()
    except SimulatorError as exc:
        echo(f"[simulator] {exc}")
        return None


def _report_errors(sim, echo) -> None:
    for error in sim.errors:
        echo(f"[simulator] error: {error}")


@click.command("call")
@click.option("--script", default=None, help='Keys and inputs to play, comma separated, e.g. "1,2,#" or "1,say stories,wait".')
@click.option("--from", "from_", default=DEMO_CALLER, show_default=True, help="The caller's number.")
@click.option("--to", default=None, help="The number called (default: TWILIO_NUMBER).")
@click.option("--url", default=None, help="Call a running server over HTTP at this base URL instead of in-process.")
@click.option("--via", "via", default=None, metavar="SIM_URL",
              help="With --url: place the call through this simulator process (`peerline simulator`, started by "
                   "./dev up) so workers can fetch its recordings. Default: SIMULATOR_URL; if none answers there, "
                   "the call runs in this terminal.")
@click.option("--speak", "speak_path", default=None, type=click.Path(dir_okay=False),
              help="Also render what the caller heard to this WAV with espeak-ng.")
@with_appcontext
def call_command(script, from_, to, url, via, speak_path):
    """Place a simulated phone call to Peerline: interactive, or --script to print the transcript."""
    config = current_app.config
    if url and not speak_path and _through_exchange(config, url, via, from_, to, script):
        return
    to = to or config["TWILIO_NUMBER"]
    if url:
        sim = Simulator.over_http(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"])
        base = url.rstrip("/")
    else:
        _ensure_schema(current_app)
        base = config["PUBLIC_BASE_URL"]
        sim = Simulator.in_process(current_app, base_url=base)
    sim.add_number(to, base + "/voice/incoming", status_callback=base + "/voice/status")
    call = place_call(sim, from_, to, script)
    if speak_path and call is not None:
        seconds = render(call.transcript, speak_path, media=sim.media_audio)
        click.echo(f"[wrote {speak_path}: {seconds:.1f} s of what the caller heard]")
    if sim.errors:
        raise SystemExit(1)


def _through_exchange(config, url: str, via: str | None, from_, to, script) -> bool:
    """Run the call through a simulator process if one answers; False to run it in this terminal."""
    sim_url = via or config["SIMULATOR_URL"]
    if not sim_url:
        return False
    phone = RemotePhone(sim_url, config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"])
    try:
        reachable = phone.reachable()
    except ExchangeUnreachable as exc:
        raise click.ClickException(str(exc))
    if not reachable:
        if via:
            raise click.ClickException(f"no simulator answers at {via} (start it with ./dev up or `peerline simulator`)")
        click.echo(f"[no simulator process at {sim_url}: this terminal plays Twilio itself; "
                   "recordings made in this call stay here, so workers cannot fetch them]", err=True)
        return False
    if not run_remote_call(phone, url.rstrip("/"), from_, to, script, help_line=HELP):
        raise SystemExit(1)
    return True


def _ensure_schema(app) -> None:
    """The embedded SQLite database is migrated on first use, so a fresh clone can call at once."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    logging.getLogger("alembic").setLevel(logging.WARNING)
    upgrade(revision="heads")
