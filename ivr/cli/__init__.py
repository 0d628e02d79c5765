"""Peerline's own commands, one module per command group; the `peerline` entry point is ivr/cli/main.py.

The app factory never imports this package: commands load the worker's code when run, and the web
process must not.
"""
from __future__ import annotations

from ivr.cli.circles import circles_command
from ivr.cli.config import config_command
from ivr.cli.flows import flows
from ivr.cli.seed import seed_command
from ivr.cli.staff import staff_cli
from ivr.cli.storage import storage_command
from ivr.cli.workers import screen_command, sweep_command
from ivr.simulator.exchange import simulator_command_factory
from ivr.simulator.terminal import call_command


#: Every `peerline` command group; ivr/cli/main.py adds them to Flask's own (run, db, shell, ...).
COMMANDS = (flows, circles_command, seed_command, screen_command, sweep_command, call_command,
            simulator_command_factory(), storage_command, staff_cli, config_command)
