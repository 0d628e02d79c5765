"""The simulator against a running Peerline over real HTTP: webhooks over a socket, and Peerline's
REST calls back to the simulator over a socket (TWILIO_API_BASE) while it answers a webhook."""
from __future__ import annotations

import socket
import threading

import pytest
from pydub import AudioSegment
from pydub.generators import Sine
from sqlalchemy import select
from werkzeug.serving import make_server

from ivr.extensions import db
from ivr.calls.models import Call
from ivr.shares.models import Share
from ivr.simulator import Simulator
from tests.conftest import TEST_SID, TEST_TOKEN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_sim():
    """A simulator that places calls over HTTP and serves its REST API on a socket."""
    simulator = Simulator.over_http(TEST_SID, TEST_TOKEN, timeout=15)
    simulator.rest_base = simulator.serve()
    yield simulator
    simulator.close()


@pytest.fixture
def port():
    return _free_port()


@pytest.fixture
def app_config(http_sim, port):
    """Peerline's public URL is the local server; its REST adapter points at the simulator's socket."""
    return {"PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "TWILIO_API_BASE": http_sim.rest_base}


@pytest.fixture
def server(app, port, http_sim):
    """Peerline served by a threaded WSGI server, its number configured on the simulator."""
    srv = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    http_sim.add_number(app.config["TWILIO_NUMBER"], base + "/voice/incoming", status_callback=base + "/voice/status")
    yield base
    srv.shutdown()
    thread.join(5)


def test_two_callers_share_over_http(app, http_sim, server, tmp_path):
    wav = tmp_path / "s.wav"
    (AudioSegment.silent(300) + Sine(220).to_audio_segment(duration=3000, volume=-22)).export(wav, format="wav")
    a = http_sim.call("+15550103001", script=["1", "5", "3", "1"])
    b = http_sim.call("+15550103002", script=["2", "5", "3", "1"])
    a.record(wav, finish_key="#")
    b.record(wav, finish_key="#")
    a.press("2")
    b.press("2")
    a.hangup()
    b.hangup()
    assert "Your message is saved" in a.heard() and "Su mensaje quedó guardado" in b.heard()
    with app.app_context():
        shares = {s.call_sid: s for s in db.session.execute(select(Share)).scalars()}
        assert set(shares) == {a.sid, b.sid}
        # The recording was fetched and deleted by Peerline over HTTP through TWILIO_API_BASE.
        assert all(s.twilio_deleted for s in shares.values())
        statuses = {c.call_sid: c.status for c in db.session.execute(select(Call)).scalars()}
    assert statuses == {a.sid: "completed", b.sid: "completed"}
    assert http_sim.errors == []


def test_peerline_call_with_url(app, http_sim, server, runner):
    result = runner.invoke(args=["call", "--url", server, "--script", "1,5,9"])
    assert result.exit_code == 0, result.output
    assert "Welcome to Peerline" in result.output and "Options. To change the language" in result.output
