"""The simulator as its own process: Twilio's REST API, the webhook sender and a phone API for terminals.

`peerline simulator` runs this. It plays Twilio for a running Peerline (gunicorn + workers): calls
placed through its phone API ring the app's Voice URL over HTTP, recordings stay here until a
worker fetches them through the REST API (TWILIO_API_BASE), and callbacks are delivered from a
background thread as Twilio would. `peerline call --url APP` is its terminal client.
"""
from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from flask import abort, jsonify, request

from ivr.simulator.call import Input, parse_script_item
from ivr.simulator.core import Simulator, SimulatorError
from werkzeug.serving import make_server as werkzeug_server
import click
from flask.cli import with_appcontext
from flask import current_app

log = logging.getLogger(__name__)
PHONE = "/phone/calls"


class Exchange:
    """One Simulator served over HTTP, with a lock so a phone request and the callback pump never interleave."""

    def __init__(self, account_sid: str, auth_token: str, app_url: str, number: str, api_base: str):
        self.sim = Simulator.over_http(account_sid, auth_token)
        self.sim.api_base = api_base.rstrip("/")
        self.sim.strict = False  # errors show in the caller's transcript, as at a terminal
        self.number = number
        self.drive = threading.Lock()
        self.uploads = Path(tempfile.mkdtemp(prefix="peerline-sim-uploads-"))
        self.connect(app_url)
        self._stop = threading.Event()

    def connect(self, app_url: str) -> None:
        """Point the number's Voice URL and status callback at the app (Twilio's console settings)."""
        base = app_url.rstrip("/")
        self.sim.add_number(self.number, base + "/voice/incoming", status_callback=base + "/voice/status")

    def pump(self, interval: float = 0.2) -> None:
        """Deliver callbacks and REST effects (outbound calls, redirects) as they queue up."""
        while not self._stop.wait(interval):
            with self.drive:
                try:
                    self.sim.settle()
                except Exception:  # noqa: BLE001 - one broken callback must not stop the exchange
                    log.exception("simulator: settling failed")

    def stop(self) -> None:
        """Stop the callback pump."""
        self._stop.set()


def call_json(call, since: int = 0, errors_since: int = 0) -> dict:
    """A call's state for the terminal: new transcript lines, what it waits for, whether it ended."""
    sim = call.sim
    return {
        "sid": call.sid,
        "lines": [{"kind": e.kind, "line": e.line()} for e in call.transcript[since:]],
        "shown": len(call.transcript),
        "waiting": call.waiting.kind if call.waiting else None,
        "ended": call.ended,
        "status": call.status,
        "errors": sim.errors[errors_since:],
    }


def add_phone_routes(exchange: Exchange) -> None:
    """Routes on the REST app (behind the same account auth) that place and drive calls."""
    sim = exchange.sim
    app = sim.rest_app

    @app.post(PHONE)
    def place():
        """Place a call: form `from`, optional `to`, `app` (base URL to ring) and `script` ("1,2,#")."""
        with exchange.drive:
            if request.form.get("app"):
                exchange.connect(request.form["app"])
            errors_before = len(sim.errors)
            script = request.form.get("script")
            items = [_input(i) for i in script.split(",")] if script and script.strip() else None
            try:
                call = sim.call(request.form.get("from", "+15550100123"), request.form.get("to") or exchange.number,
                                script=items)
            except (SimulatorError, ValueError) as exc:
                return jsonify({"error": str(exc)}), 400
            return jsonify(call_json(call, 0, errors_before))

    @app.post(PHONE + "/<sid>")
    def feed(sid: str):
        """Give a waiting call one input line ("1", "say words", "rec -", "q"); an `audio` upload for rec."""
        with exchange.drive:
            call = sim.call_by_sid(sid)
            if call is None:
                abort(404)
            shown, errors_before = len(call.transcript), len(sim.errors)
            line = request.form.get("input", "")
            try:
                inp = _input(line)
                if inp.kind == "silence" and call.waiting and call.waiting.kind == "conference":
                    call.wait()
                else:
                    sim.feed(call, inp)
            except (SimulatorError, ValueError) as exc:
                return jsonify({**call_json(call, shown, errors_before), "error": str(exc)})
            return jsonify(call_json(call, shown, errors_before))

    def _input(line: str) -> Input:
        """Parse an input line; a recording's audio comes as an upload, saved where <Record> reads it."""
        inp = parse_script_item(line) if line.strip() else Input("silence")
        if inp.kind == "record":
            upload = request.files.get("audio")
            if upload is None:
                raise ValueError("rec needs the audio file uploaded with it")
            # Keep the caller's file name (it shows in the transcript) in a folder of its own.
            name = Path(upload.filename or "recording.wav").name or "recording.wav"
            path = Path(tempfile.mkdtemp(dir=exchange.uploads)) / name
            upload.save(path)
            inp.value = str(path)
        return inp


def make_server(exchange: Exchange, host: str, port: int):
    """A threaded HTTP server for the REST and phone APIs (threaded: the app calls the REST API mid-webhook)."""
    add_phone_routes(exchange)
    threading.Thread(target=exchange.pump, daemon=True, name="sim-callbacks").start()
    return werkzeug_server(host, port, exchange.sim.rest_app, threaded=True)


def serve(exchange: Exchange, host: str, port: int) -> None:
    """Serve the REST and phone APIs until interrupted."""
    server = make_server(exchange, host, port)
    try:
        server.serve_forever()
    finally:
        exchange.stop()


def simulator_command_factory():
    """The `peerline simulator` click command (built lazily so the CLI imports stay light)."""

    @click.command("simulator")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback).")
    @click.option("--port", default=5050, show_default=True, type=int, help="Port for the REST and phone APIs.")
    @click.option("--app-url", default=None, help="Peerline's base URL to ring (default: PUBLIC_BASE_URL).")
    @with_appcontext
    def simulator_command(host, port, app_url):
        """Run the phone simulator as its own process: Twilio's REST API, webhook sender, phone API."""
        config = current_app.config
        api_base = f"http://{host}:{port}"
        exchange = Exchange(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                            app_url or config["PUBLIC_BASE_URL"], config["TWILIO_NUMBER"], api_base)
        click.echo(f"simulator: Twilio REST API and phone API on {api_base}; "
                   f"{config['TWILIO_NUMBER']} rings {app_url or config['PUBLIC_BASE_URL']}/voice/incoming")
        serve(exchange, host, port)

    return simulator_command
