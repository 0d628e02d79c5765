"""The `peerline` command: Flask's CLI (run, db upgrade, ...) plus Peerline's own commands."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from ivr import create_app
from ivr.cli import COMMANDS


@click.group(cls=FlaskGroup, create_app=create_app)
def main():
    """Peerline: a phone line for peer-support circles."""


for _command in COMMANDS:
    main.add_command(_command)

