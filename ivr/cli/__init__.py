"""Peerline's own commands, one module per command group; the `peerline` entry point is ivr/cli/main.py."""
from __future__ import annotations

from flask import Flask

from ivr.cli.circles import circles_command
from ivr.cli.flows import flows
from ivr.cli.seed import seed_command
from ivr.cli.staff import staff_cli
from ivr.cli.storage import storage_command
from ivr.cli.workers import screen_command, sweep_command
from ivr.simulator.exchange import simulator_command_factory
from ivr.simulator.terminal import call_command


def register_commands(app: Flask) -> None:
    """Attach Peerline's commands to the app's CLI (so `peerline X` and test runners see them)."""
    for command in (flows, circles_command, seed_command, screen_command, sweep_command, call_command,
                    simulator_command_factory(), storage_command, staff_cli):
        app.cli.add_command(command)
