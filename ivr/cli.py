"""The `peerline` command: Flask's CLI (run, db upgrade, ...) plus Peerline's own commands."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from ivr import create_app
    from ivr.config import ConfigError
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None  # one line naming the variable, no traceback


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Peerline: a phone line for peer-support circles."""


@click.group()
def flows():
    """Inspect the call flows."""


@flows.command("show")
@click.option("--lang", default="en", show_default=True, help="Language of the prompts shown.")
@with_appcontext
def flows_show(lang: str):
    """Print the menu tree: each step, what it says and which key leads where."""
    from ivr.flow_tree import describe
    flowset = current_app.extensions["peerline.flows"]
    if lang not in flowset.prompts.languages:
        raise click.BadParameter(f"unknown language {lang!r}; have {', '.join(flowset.prompts.languages)}")
    click.echo(describe(flowset, lang), nl=False)


@flows.command("lint")
@with_appcontext
def flows_lint():
    """Check every step in every language: crisis key named, at most four choices, short prompts."""
    from ivr.flow_lint import lint, summary
    flowset = current_app.extensions["peerline.flows"]
    problems = lint(flowset)
    for line in problems:
        click.echo(line)
    click.echo(f"flows lint: {summary(flowset)}: " + (f"{len(problems)} problems" if problems else "all clear"))
    if problems:
        raise SystemExit(1)


def register_commands(app: Flask) -> None:
    """Attach Peerline's commands to the app's CLI (so `peerline X` and test runners see them)."""
    app.cli.add_command(flows)
    from ivr.circles_cli import circles_command
    app.cli.add_command(circles_command)
    from ivr.demo_seed import seed_command
    app.cli.add_command(seed_command)
    from ivr.cli_workers import screen_command, sweep_command
    app.cli.add_command(screen_command)
    app.cli.add_command(sweep_command)
    from ivr.simulator.terminal import call_command
    app.cli.add_command(call_command)
    from ivr.simulator.exchange import simulator_command_factory
    app.cli.add_command(simulator_command_factory())
    from ivr.storage_cli import storage_command
    app.cli.add_command(storage_command)
    from ivr.config_cli import config_command
    app.cli.add_command(config_command)
