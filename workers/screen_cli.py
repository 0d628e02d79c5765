"""`peerline screen TEXT`: screen a piece of text the way voice-share transcripts are screened."""
from __future__ import annotations

import json
import sys

import click

from workers.screen import LexiconError, screen


@click.command("screen")
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option("--lang", default="en", show_default=True, help="Language of the word lists.")
def screen_command(text: str | None, as_json: bool, lang: str) -> None:
    """Screen TEXT (or standard input when TEXT is '-' or missing); print tier, priority and reasons."""
    if text is None or text == "-":
        text = sys.stdin.read()
    try:
        result = screen(text, lang=lang)
    except LexiconError as exc:
        raise click.BadParameter(str(exc), param_hint="--lang") from exc
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"tier: {result.tier.label}")
    click.echo(f"priority: {result.priority}")
    click.echo("reasons:" if result.reasons else "reasons: none")
    for reason in result.reasons:
        click.echo(f"  {reason.describe()}")
    if result.profanity:
        click.echo("profanity: " + ", ".join(note.word for note in result.profanity))
    if result.needs_listening:
        click.echo("needs listening: " + "; ".join(result.listening_reasons))
