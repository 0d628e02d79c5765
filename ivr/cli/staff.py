"""`peerline staff ...`: make the first admin (and other accounts) from the command line."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ivr.staff.models import ROLES
from ivr.extensions import db
from ivr.staff import accounts


@click.group("staff")
def staff_cli():
    """Manage staff accounts."""


@staff_cli.command("create")
@click.option("--email", prompt=True, help="Sign-in email.")
@click.option("--name", prompt=True, help="Name shown to other staff.")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
@click.password_option(help="At least 12 characters; prompted (hidden) when omitted.")
@with_appcontext
def create(email: str, name: str, role: str, password: str):
    """Create a staff account (by default the first admin)."""
    try:
        user = accounts.create(email, name, password, role, actor=None)
    except accounts.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")
