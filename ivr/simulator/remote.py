"""A terminal phone for the simulator process: place and drive calls through its phone API over HTTP."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from ivr.simulator.call import parse_script_item
from ivr.simulator.keyboard import ask, default_reader
import requests


class ExchangeUnreachable(RuntimeError):
    """No simulator process answers at the given URL."""


class RemotePhone:
    """Talks to `peerline simulator` (ivr/simulator/exchange.py) with the account's credentials."""

    def __init__(self, sim_url: str, account_sid: str, auth_token: str, timeout: float = 120):
        self.base = sim_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (account_sid, auth_token)
        self.timeout = timeout

    def reachable(self) -> bool:
        """True when a simulator process answers (with our credentials) at the URL."""
        try:
            reply = self.session.get(self.base + "/2010-04-01/Accounts/" + self.session.auth[0] + "/Conferences.json",
                                     timeout=2)
        except requests.RequestException:
            return False
        if reply.status_code == 401:
            raise ExchangeUnreachable(f"the simulator at {self.base} refused our TWILIO_ACCOUNT_SID / "
                                      "TWILIO_AUTH_TOKEN: run both with the same values (or none)")
        return reply.ok

    def _post(self, path: str, data: dict, files=None) -> dict:
        reply = self.session.post(self.base + path, data=data, files=files, timeout=self.timeout)
        body = reply.json()
        if reply.status_code >= 400:
            raise click.ClickException(body.get("error") or f"simulator answered HTTP {reply.status_code}")
        return body

    def place(self, app_url: str, from_: str, to: str | None, script: str | None) -> dict:
        """Place a call into the app at app_url; the call's first state."""
        data = {"app": app_url, "from": from_}
        if to:
            data["to"] = to
        if script is not None:
            data["script"] = script
        return self._post("/phone/calls", data)

    def feed(self, sid: str, line: str) -> dict:
        """One input line for a waiting call; `rec file.wav` uploads the file."""
        files = None
        if line.strip() and parse_script_item(line).kind == "record":
            path = Path(parse_script_item(line).value)
            if not path.is_file():
                return {"sid": sid, "lines": [], "error": f"no such file: {path}", "ended": False, "waiting": "record"}
            files = {"audio": (path.name, path.read_bytes())}
        return self._post(f"/phone/calls/{sid}", {"input": line}, files=files)


def run_remote_call(phone: RemotePhone, app_url: str, from_: str, to: str | None, script: str | None,
                    echo: Callable[[str], None] = click.echo, read=None, help_line: str = "") -> bool:
    """Run one call through the simulator process, printing as it goes; True if no simulator errors."""
    errors: list[str] = []

    def show(state: dict) -> None:
        for entry in state.get("lines", []):
            echo(("  " if entry["kind"] == "say" else "") + entry["line"])
        if state.get("error"):
            echo(f"[simulator] {state['error']}")
        for error in state.get("errors", []):
            errors.append(error)
            echo(f"[simulator] error: {error}")

    if script is not None:
        # Item by item (not as one script), so `rec file.wav` can upload the file from this machine.
        items = script.split(",") if script.strip() else []
        state = phone.place(app_url, from_, to, None)
        show(state)
        for item in items:
            if state.get("ended"):
                break
            state = phone.feed(state["sid"], item)
            show(state)
        if not state.get("ended"):
            echo("[note end of script: hanging up]")
            show(phone.feed(state["sid"], "q"))
        return not errors
    read = read or default_reader
    echo(help_line)
    state = phone.place(app_url, from_, to, None)
    show(state)
    while not state.get("ended"):
        line = ask(read, state.get("waiting"))
        try:
            parse_script_item(line)
        except ValueError as exc:
            echo(str(exc))
            continue
        state = phone.feed(state["sid"], line)
        show(state)
    echo(f"[call {state.get('status')}]")
    return not errors
