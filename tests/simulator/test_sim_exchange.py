"""The simulator as its own process (ivr/simulator/exchange.py) and its terminal client, against a running
Peerline over HTTP; and the 403 that says why (base URL mismatch) and how to fix it."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from ivr.extensions import db
from ivr.shares.models import Share
from ivr.simulator import Simulator
from ivr.simulator.exchange import Exchange, make_server as exchange_server
from tests.conftest import TEST_SID, TEST_TOKEN
from tests.stories.factories import spoken_wav
from tests.s3_stand_in import free_port


class Served:
    """A WSGI server in a thread."""

    def __init__(self, server):
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        """Shut the server down."""
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def ports():
    return {"web": free_port(), "sim": free_port()}


@pytest.fixture
def app_config(ports):
    """Peerline on a real socket, its PUBLIC_BASE_URL that socket, its REST calls to the exchange."""
    return {"PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['web']}",
            "TWILIO_API_BASE": f"http://127.0.0.1:{ports['sim']}", "SIMULATOR_URL": None}


@pytest.fixture
def web(app, ports):
    served = Served(make_server("127.0.0.1", ports["web"], app, threaded=True))
    yield served
    served.stop()


@pytest.fixture
def exchange(app, web, ports):
    ex = Exchange(TEST_SID, TEST_TOKEN, web.url, app.config["TWILIO_NUMBER"], f"http://127.0.0.1:{ports['sim']}")
    served = Served(exchange_server(ex, "127.0.0.1", ports["sim"]))
    yield ex, served.url
    ex.stop()
    served.stop()


def test_a_terminal_call_through_the_simulator_process_leaves_a_share_it_keeps(app, runner, web, exchange):
    ex, sim_url = exchange
    wav = spoken_wav("I want to tell you about the day things started to get better for me.")
    result = runner.invoke(args=["call", "--url", web.url, "--via", sim_url, "--script", f"1,1,3,2,2,rec {wav} #,2"])
    assert result.exit_code == 0, result.output
    assert "Thank you for sharing" in result.output
    with app.app_context():
        share = db.session.execute(select(Share)).scalar_one()
        # The recording lives in the simulator process, where a worker fetches it (TWILIO_API_BASE).
        recording = ex.sim.recordings.by_sid[share.recording_sid]
        assert share.recording_url.startswith(sim_url) or share.recording_url is None
    assert recording.duration >= 3


def test_via_a_url_where_no_simulator_answers_is_a_clear_error(app, runner, web):
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(args=["call", "--url", web.url, "--via", nowhere, "--script", "1"])
    assert result.exit_code == 1 and f"no simulator answers at {nowhere}" in result.output


def test_a_403_says_the_base_url_differs_and_how_to_fix_it(app, web):
    # The server checks signatures against its PUBLIC_BASE_URL (127.0.0.1); the caller dials "localhost".
    sim = Simulator.over_http(TEST_SID, TEST_TOKEN)
    sim.strict = False
    port = web.url.rsplit(":", 1)[1]
    other = f"http://localhost:{port}"
    sim.add_number(app.config["TWILIO_NUMBER"], other + "/voice/incoming")
    sim.call("+15550100123")
    assert len(sim.errors) == 1
    error = sim.errors[0]
    assert f"HTTP 403 from POST {other}/voice/incoming (the app refused the X-Twilio-Signature" in error
    assert f"this call was signed for {other}" in error and f"PUBLIC_BASE_URL={other}" in error


def test_an_interactive_terminal_call_through_the_simulator_process(app, runner, web, exchange):
    _, sim_url = exchange
    result = runner.invoke(args=["call", "--url", web.url, "--via", sim_url], input="1\n1\n9\nxyz\nq\n")
    assert result.exit_code == 0, result.output
    assert "keys> " in result.output and "Options. To change the language" in result.output
    assert "not a script item: 'xyz'" in result.output  # a typo is shown, the call goes on
    assert result.output.rstrip().endswith("[call completed]")
