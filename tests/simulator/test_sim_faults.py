"""Fault knobs and the asynchronous delivery of callbacks."""
from __future__ import annotations

from tests.simulator.twimlapp import xml


def statuses(tapp):
    return [(f["CallSid"], f["CallStatus"]) for p, f, ok in tapp.hits if p == "/cb/status"]


def test_duplicate_callbacks(tapp, tsim):
    tapp.docs["/voice"] = xml("<Hangup/>")
    tsim.faults.duplicate_callbacks = 2
    call = tsim.call("+15550100001")
    assert statuses(tapp) == [(call.sid, "completed")] * 3


def test_held_callbacks_are_delivered_in_reverse_when_reordered(tapp, tsim):
    tapp.docs["/voice"] = xml("<Hangup/>")
    tsim.faults.hold_callbacks = True
    tsim.faults.reorder_callbacks = True
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    assert statuses(tapp) == []  # held back
    tsim.release_callbacks()
    assert statuses(tapp) == [(b.sid, "completed"), (a.sid, "completed")]


def test_callbacks_never_run_inside_the_request_that_caused_them(tapp, tsim):
    """A REST call made while the app handles a webhook only queues work; it runs afterwards."""
    tsim.auto_settle = False
    tapp.docs["/voice"] = xml('<Gather action="/g"><Say>x</Say></Gather>')
    tapp.docs["/moved"] = xml("<Say>moved</Say>")
    seen = []

    def handler(form):
        # Inside this webhook the app redirects another call through the REST API.
        reply = tsim.rest_request("POST", f"{tsim.api_base}/2010-04-01/Accounts/{tsim.account_sid}/Calls/{other.sid}.json",
                                  {"Url": "https://app.example/moved"})
        seen.append((reply.status, list(other.said())))
        return xml("<Say>done</Say>")

    other = tsim.call("+15550100002")
    tapp.docs["/g"] = handler
    first = tsim.call("+15550100001")
    first.press("1")
    assert seen == [(200, ["x"])]  # the other call had not moved while the request ran
    assert other.said() == ["x"]
    tsim.settle()
    assert other.said() == ["x", "moved"]


def test_rest_error_rate_is_seeded_and_repeatable(tapp, tsim):
    url = f"{tsim.api_base}/2010-04-01/Accounts/{tsim.account_sid}/Conferences.json"
    tsim.faults.rest_error_rate = 0.5
    first = [tsim.rest_request("GET", url).status for _ in range(20)]
    from ivr.simulator import Faults
    tsim.faults = Faults(rest_error_rate=0.5)
    again = [tsim.rest_request("GET", url).status for _ in range(20)]
    assert first == again and {200, 500} == set(first)


def test_strict_mode_reports_a_failing_callback(tapp, tsim):
    from flask import Response
    import pytest
    from ivr.simulator import SimulatorError
    tapp.docs["/voice"] = xml("<Hangup/>")
    tapp.docs["/cb/status"] = lambda form: Response("no", 500)
    with pytest.raises(SimulatorError, match="call-status callback .* HTTP 500"):
        tsim.call("+15550100001")



def _mute_then_redirect(tapp, tsim, early):
    """Call A's webhook /g mutes B in a conference through REST, then A's TwiML redirects to /h."""
    tsim.faults.early_callbacks = early
    tapp.docs["/voice"] = lambda form: (xml('<Dial><Conference statusCallback="/cb/conf" statusCallbackEvent="mute" '
                                            'waitUrl="">r</Conference></Dial>') if form["From"].endswith("2")
                                        else xml('<Gather numDigits="1" action="/g"><Say>x</Say></Gather>'))
    seen: list[bool] = []
    tapp.docs["/h"] = lambda form: (seen.append("/cb/conf" in tapp.paths()), xml("<Say>h</Say>"))[1]
    b = tsim.call("+15550100002")
    room = tsim.rooms.named("r")
    url = f"{tsim.api_base}/2010-04-01/Accounts/{tsim.account_sid}/Conferences/{room.sid}/Participants/{b.sid}.json"
    tapp.docs["/g"] = lambda form: (tsim.rest_request("POST", url, {"Muted": "true"}), xml("<Redirect>/h</Redirect>"))[1]
    tsim.call("+15550100001").press("1")
    assert "/cb/conf" in tapp.paths()  # delivered in the end either way
    return seen


def test_callbacks_wait_until_the_caller_pauses_by_default(tapp, tsim):
    assert _mute_then_redirect(tapp, tsim, early=False) == [False]


def test_early_callbacks_arrive_before_the_next_webhook(tapp, tsim):
    assert _mute_then_redirect(tapp, tsim, early=True) == [True]
