"""`peerline storage check`: prove the configured store can write, read and delete."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from ivr.storage import StorageUnavailable, from_config, probe


@click.group("storage")
def storage_command():
    """Inspect the recording store (directory or S3-compatible object storage)."""


@storage_command.command("check")
@with_appcontext
def check_command():
    """Write, read back and delete a probe object; say what is wrong in one line."""
    try:
        click.echo(probe(from_config(current_app.config)))
    except StorageUnavailable as exc:
        click.echo(f"storage check failed: {exc}", err=True)
        raise SystemExit(1)
