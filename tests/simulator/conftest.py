"""Fixtures for the simulator's tests: a generic TwiML app and a simulator calling it."""
from __future__ import annotations

import pytest

from ivr.simulator import Simulator
from tests.simulator.twimlapp import BASE, NUMBER, SID, TOKEN, TwimlApp, xml  # noqa: F401


@pytest.fixture
def tapp():
    """The generic TwiML app."""
    return TwimlApp()


@pytest.fixture
def tsim(tapp):
    """A simulator calling the generic app in-process; NUMBER rings /voice, hang-ups go to /cb/status."""
    simulator = Simulator.in_process(tapp.flask, account_sid=SID, auth_token=TOKEN, base_url=BASE)
    simulator.add_number(NUMBER, BASE + "/voice", status_callback=BASE + "/cb/status")
    yield simulator
    simulator.close()
