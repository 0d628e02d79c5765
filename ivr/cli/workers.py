"""`peerline screen` and `peerline sweep`: thin shells that import workers/ only when run.

Registering them must not import workers/ (the web process never loads the worker's code).
"""
from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext
from ivr.progress import progress


@click.command("screen", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                           "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def screen_command(args: tuple[str, ...]):
    """Screen a line of transcript text: tier, priority and reasons (--json for machines)."""
    from workers.screen_cli import screen_command as real  # loaded only when run (see above)
    real.main(list(args), prog_name="peerline screen", standalone_mode=True)


@click.command("sweep")
@click.option("--stuck-after", type=int, default=600, show_default=True,
              help="Seconds a share may sit in received/processing before it is enqueued again.")
@click.option("--heartbeat-grace", type=int, default=120, show_default=True,
              help="Seconds without a worker heartbeat after which a started job counts as lost.")
@with_appcontext
def sweep_command(stuck_after: int, heartbeat_grace: int):
    """Re-enqueue stranded shares, delete Twilio's leftover copies, purge audio past retention (for cron)."""
    from workers import sweep  # loaded only when run (see above)
    report = sweep.run(stuck_after=timedelta(seconds=stuck_after), heartbeat_grace=timedelta(seconds=heartbeat_grace),
                       progress=progress)
    click.echo(report.summary())
