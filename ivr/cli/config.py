"""`peerline config`: the effective settings, where each came from, secrets masked."""
from __future__ import annotations

import re
from typing import Any, Mapping

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.config import BY_NAME, SETTINGS, VOSK_PREFIX, env_example, env_text

MASK = "********"
# scheme://user:password@host -> the password is everything between the first ':' of the
# userinfo and the last '@' (greedy, so an unescaped '@' inside a password is masked too).
_URL_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@]*):(?P<password>.*)@(?P<tail>[^@]*)$")
# ...?password=x&token=y in a query string.
_QUERY_SECRET = re.compile(r"(?P<key>(?:password|passwd|secret|token|key)[A-Za-z_]*=)[^&#]*", re.IGNORECASE)


def masked(name: str, value: Any) -> str:
    """How a setting's value may be shown: secrets hidden entirely, passwords inside URLs hidden."""
    if value is None:
        return "(unset)"
    if value == "":
        return "(empty)"
    setting = BY_NAME.get(name)
    if setting is not None and setting.secret:
        return MASK
    text = env_text(value)
    match = _URL_PASSWORD.match(text)
    if match:
        text = f"{match['head']}:{MASK}@{match['tail']}"
    if "://" in text:
        text = _QUERY_SECRET.sub(lambda m: m["key"] + MASK, text)
    return text


def effective(config: Mapping[str, Any], sources: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(name, masked value, source) for every setting of the table, then any extra VOSK_MODEL_* ones."""
    extra = sorted(k for k in config if k.startswith(VOSK_PREFIX) and k not in BY_NAME)
    names = [*(s.name for s in SETTINGS), *extra]
    return [(name, masked(name, config[name]), sources.get(name, "default")) for name in names]


@click.command("config")
@click.option("--env-example", "show_env_example", is_flag=True, help="Print .env.example as the settings table renders it.")
@with_appcontext
def config_command(show_env_example: bool):
    """Print the effective settings: name, value (secrets masked) and source (default, env, test, derived)."""
    if show_env_example:
        click.echo(env_example(), nl=False)
        return
    sources = current_app.extensions.get("peerline.config_sources", {})
    rows = effective(current_app.config, sources)
    width = max(len(name) for name, _, _ in rows)
    value_width = min(60, max(len(value) for _, value, _ in rows))
    click.echo(f"{'SETTING':<{width}}  {'VALUE':<{value_width}}  SOURCE")
    for name, value, source in rows:
        click.echo(f"{name:<{width}}  {value:<{value_width}}  {source}")
