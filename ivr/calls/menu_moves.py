"""Answers remembered, so a keypress that only moves through menus costs a static answer.

A move through menus is a function of the step, the call state in the signed URL and the key
pressed (for a new call: the caller's saved preferences): the same inputs give the same TwiML,
byte for byte, except for the caller's own id and unlocked shares, which pass through the state
untouched. So the first caller to press 9 at the English main menu builds the answer and later
ones are sent the same bytes with their own state written in. An answer is remembered only when
building it ran no action that is not pure (ivr.calls.registry), wrote no count, read no form
field beyond its inputs and did not walk the whole configuration; the settings it read are
compared again on every hit. Speech and several keys are never remembered: memory holds which
key was pressed at a menu, never what a caller said or typed. Entries last TTL_S (a prompt recording dropped into audio/prompts is
heard within a minute) and one process keeps at most LIMIT.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from typing import Callable

from flask import Flask, current_app, request

from ivr.calls.call_state import MARK

TTL_S = 60.0
LIMIT = 4096
#: What the caller did: part of the key, so every other form field read spoils a move.
INPUTS = ("Digits", "SpeechResult", "FinishedOnKey")
# Fields of the state segment (ivr.calls.call_state) a pure move carries through unchanged.
_CALLER, _UNLOCKED = 7, 9


def inputs_of(query: str, form) -> tuple | None:
    """What decides a keypress besides the step and state: the URL's query and the caller's input.

    None (never remembered) for speech or more than one key: memory holds which key was pressed
    at a menu, never what a caller said or typed.
    """
    if (form.get("SpeechResult") or "").strip() or len(form.get("Digits") or "") > 1:
        return None
    return (query, *(form.get(name) for name in INPUTS))


class Reads(Mapping):
    """A read-only view of a form or a configuration that notes which keys were read."""

    def __init__(self, data):
        self.data = data
        self.keys_read: set[str] = set()
        self.whole = False  # iterated, or used through a method we cannot follow

    def __getitem__(self, key):
        self.keys_read.add(key)
        return self.data[key]

    def get(self, key, default=None):
        """The value for key (noted as read), else default."""
        self.keys_read.add(key)
        return self.data.get(key, default)

    def __contains__(self, key):
        self.keys_read.add(key)
        return key in self.data

    def __iter__(self):
        self.whole = True
        return iter(self.data)

    def __len__(self):
        self.whole = True
        return len(self.data)

    def __getattr__(self, name):  # getlist, to_dict, ...: allowed, but the move is not remembered
        self.whole = True
        return getattr(self.data, name)


@dataclass(frozen=True)
class Move:
    """One remembered answer: TwiML with the state's place marked, and the state it leaves."""

    body: str
    state_parts: tuple[str, ...]
    settings: tuple[tuple[str, object], ...]
    expires: float


class MenuMoves:
    """The remembered moves of one app (one per process)."""

    def __init__(self, clock=time.monotonic):
        self._moves: dict[tuple, Move] = {}
        self._clock = clock
        self.recalled = self.built = 0  # answers sent from memory, answers built (bench/webhooks.py prints them)

    @staticmethod
    def key(flows, where: str, encoded_state: str, inputs: tuple | None) -> tuple | None:
        """The key of a move: flows, step, state without the caller's own fields, the inputs."""
        parts = encoded_state.split(".")
        if inputs is None or len(parts) <= _UNLOCKED:
            return None
        parts[_CALLER] = parts[_UNLOCKED] = ""
        return (id(flows), where, ".".join(parts), *inputs)

    def recall(self, key: tuple | None, encoded_state: str, config) -> tuple[str, str] | None:
        """A remembered move's TwiML with this call's state written in, and that state; or None."""
        move = self._moves.get(key) if key is not None else None
        if move is None:
            return None
        if move.expires < self._clock():
            del self._moves[key]
            return None
        if any(config.get(name) != value for name, value in move.settings):
            return None
        parts = encoded_state.split(".")
        caller, unlocked = parts[_CALLER], parts[_UNLOCKED]
        if not (caller.isdigit() or not caller) or not all(p.isdigit() for p in unlocked.split("-") if p):
            return None
        state = list(move.state_parts)
        state[_CALLER], state[_UNLOCKED] = caller, unlocked
        after = ".".join(state)
        return move.body.replace(MARK, after), after

    def remember(self, key: tuple | None, before: str, after: str, body: str, form: Reads, config: Reads,
                 *, pure: bool, form_fields: tuple[str, ...] = INPUTS) -> None:
        """Keep a move built from `before` to `after` if nothing but its key decided it."""
        if key is None or not pure or form.whole or config.whole or not form.keys_read <= set(form_fields):
            return
        was, now = before.split("."), after.split(".")
        if (was[_CALLER], was[_UNLOCKED]) != (now[_CALLER], now[_UNLOCKED]):
            return
        if key not in self._moves and len(self._moves) >= LIMIT:
            self._moves.pop(next(iter(self._moves)))  # the oldest
        settings = tuple((name, config.data.get(name)) for name in sorted(config.keys_read))
        self._moves[key] = Move(body, tuple(now), settings, self._clock() + TTL_S)

    def __len__(self) -> int:
        return len(self._moves)


def of(app: Flask) -> MenuMoves:
    """The app's remembered moves (made on first use)."""
    moves = app.extensions.get("peerline.menu_moves")
    if moves is None:
        moves = app.extensions["peerline.menu_moves"] = MenuMoves()
    return moves


def answer(key: tuple | None, state: str, build: Callable[[Reads, Reads], tuple], *,
           form_fields: tuple[str, ...] = INPUTS) -> tuple[str, str]:
    """A webhook's TwiML and the call state it leaves: remembered, or built now and maybe kept.

    `build(form, config)` returns (ctx, response, untouched): untouched is False when the request
    read or wrote the database beyond what the key already says.
    """
    moves = of(current_app)
    remembered = moves.recall(key, state, current_app.config)
    if remembered is not None:
        moves.recalled += 1
        return remembered
    moves.built += 1
    form, config = Reads(request.form), Reads(current_app.config)
    ctx, response, untouched = build(form, config)
    body, after = str(response), ctx.call.state.encode()
    moves.remember(key, state, after, body, form, config, pure=untouched and ctx.effects == 0,
                   form_fields=form_fields)
    return body.replace(MARK, after), after
