"""`peerline flows show|lint`: the call flows as a menu tree, and the caller rules checked."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.calls.flow_lint import lint, summary
from ivr.calls.flow_tree import describe


@click.group()
def flows():
    """Inspect the call flows."""


@flows.command("show")
@click.option("--lang", default="en", show_default=True, help="Language of the prompts shown.")
@with_appcontext
def flows_show(lang: str):
    """Print the menu tree: each step, what it says and which key leads where."""
    flowset = current_app.extensions["peerline.flows"]
    if lang not in flowset.prompts.languages:
        raise click.BadParameter(f"unknown language {lang!r}; have {', '.join(flowset.prompts.languages)}")
    click.echo(describe(flowset, lang), nl=False)


@flows.command("lint")
@with_appcontext
def flows_lint():
    """Check every step in every language: crisis key named, at most four choices, short prompts."""
    flowset = current_app.extensions["peerline.flows"]
    problems = lint(flowset)
    for line in problems:
        click.echo(line)
    click.echo(f"flows lint: {summary(flowset)}: " + (f"{len(problems)} problems" if problems else "all clear"))
    if problems:
        raise SystemExit(1)
