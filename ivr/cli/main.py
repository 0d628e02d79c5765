"""The `peerline` command: Flask's CLI (run, db upgrade, ...) plus Peerline's own commands."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from ivr import create_app
from ivr.cli import COMMANDS
from ivr.config import ConfigError


def _create_app():
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None  # one line naming the variable, no traceback


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Peerline: a phone line for peer-support circles."""


for _command in COMMANDS:
    main.add_command(_command)
