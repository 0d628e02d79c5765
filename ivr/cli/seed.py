"""`peerline seed --demo`: load demo topics and stories into an empty Peerline."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ivr.progress import progress
from ivr.stories.seed import TOPICS, SeedError, seed_demo


@click.command("seed")
@click.option("--demo", is_flag=True, help="Load demo topics and stories (audio spoken by espeak-ng).")
@with_appcontext
def seed_command(demo: bool):
    """Load data into an empty Peerline; today only --demo."""
    if not demo:
        raise click.UsageError("say what to seed: --demo")
    try:
        added = seed_demo(progress)
    except SeedError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Demo seeded: {len(TOPICS)} topics, {added} new stories.")
