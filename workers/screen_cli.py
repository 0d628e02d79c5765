"""`peerline screen TEXT`: screen a piece of text the way voice-share transcripts are screened."""
from __future__ import annotations

import json
import sys

import click

from workers.screen import LexiconError, Tier, screen


def families_fired(result) -> dict[str, list[str]]:
    """Warning-sign families that fired, most urgent first, with the words that triggered each.

    Mentions listed below the risk tiers (a lone "bridge", a song) are reasons, not fired families.
    """
    fired: dict[str, list[str]] = {}
    for reason in result.reasons:
        if reason.category != "risk" or not reason.family or reason.priority < Tier.ELEVATED.floor:
            continue
        if reason.text not in fired.get(reason.family, []):
            fired.setdefault(reason.family, []).append(reason.text)
    return fired


@click.command("screen")
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option("--lang", default="en", show_default=True, help="Language of the word lists.")
def screen_command(text: str | None, as_json: bool, lang: str) -> None:
    """Screen TEXT (or standard input when TEXT is '-' or missing); print tier, families and reasons."""
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
    families = families_fired(result)
    click.echo("families:" if families else "families: none")
    for family, words in families.items():
        click.echo(f"  {family}: " + ", ".join(f'"{w}"' for w in words))
    click.echo("reasons:" if result.reasons else "reasons: none")
    for reason in result.reasons:
        click.echo(f"  {reason.describe()}")
    if result.profanity:
        click.echo("profanity: " + ", ".join(note.word for note in result.profanity))
    if result.needs_listening:
        click.echo("needs listening: " + "; ".join(result.listening_reasons))
