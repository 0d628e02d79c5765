"""What the busiest voice webhooks answer: a new call's first menu and a caller's keypress.

Both go through ivr.calls.menu_moves, so an answer that only moves through menus is built once
per process and then sent from memory with each caller's own state written in.
"""
from __future__ import annotations

from ivr import database
from ivr.calls import engine, menu_moves
from ivr.calls.call_state import CallState
from ivr.calls.state import context_for, finish_call_request, start_call

INCOMING = "/incoming"  # the key's "where" for a new call (step names have no slash)


def first_answer(form, flows) -> str:
    """/voice/incoming: one read (saved preferences), the first answer, one write (the call row).

    The read and the write each commit alone on a connection of their own, asked again once if
    that connection had gone away. An action on the way that needs the session (none of the
    pure ones does) puts the row in the session's transaction instead, committed with it.
    """
    return database.retry_once_if_disconnected(lambda: _first_answer(form, flows))


def _first_answer(form, flows) -> str:
    with database.statements_commit_alone() as conn:
        call = start_call(form, conn)
        saved = call.preferences
        inputs = ("saved", saved.language, saved.heard_howto) if saved is not None else ("new",)
        before = call.state.encode()

        def build(form_read, config_read):
            ctx = engine.CallContext(call=call, flows=flows, config=config_read, form=form_read)
            return ctx, engine.render(ctx, flows.start), True  # the one read is in the key already

        key = menu_moves.MenuMoves.key(flows, INCOMING, before, inputs)
        text, after = menu_moves.answer(key, before, build, form_fields=())  # a new call reads no input
        call.state = CallState.decode(after)
        # The one write: the call (for reports, status and URL-less webhooks).
        call.insert_row(None if database.session_opened() else conn)
    database.commit()
    return text


def input_answer(form, flows, name: str, encoded_state: str | None, query: str = "") -> str:
    """A step's Gather or Dial action: the answer to what the caller pressed or said.

    `query`: the URL's raw query string (a step's own opaque ids), part of what a move is.
    """
    key = None
    if encoded_state is not None:
        key = menu_moves.MenuMoves.key(flows, name, encoded_state, menu_moves.inputs_of(query, form))

    def build(form_read, config_read):
        ctx = context_for(form, flows, encoded_state)
        ctx.form, ctx.config = form_read, config_read
        response = engine.handle_input(ctx, name)
        finish_call_request(ctx)
        return ctx, response, not database.session_opened()

    return menu_moves.answer(key, encoded_state or "", build)[0]
