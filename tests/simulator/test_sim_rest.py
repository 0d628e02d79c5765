"""The REST API's surface: Twilio's auth rules and JSON shapes, read by the real twilio Client."""
from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from ivr.telephony import WsgiHttpClient
from tests.simulator.twimlapp import SID, TOKEN, xml

ROOM = '<Dial><Conference waitUrl="">r1</Conference></Dial>'


@pytest.fixture
def client(tsim):
    """The real twilio Client, reaching the simulator in-process."""
    return Client(SID, TOKEN, http_client=WsgiHttpClient(tsim.rest_app))


def test_requests_without_or_with_wrong_auth_get_401(tsim):
    path = f"/2010-04-01/Accounts/{SID}/Conferences.json"
    with tsim.rest_app.test_client() as c:
        r = c.get(path)
        assert r.status_code == 401 and r.json["code"] == 20003 and "Basic" in r.headers["WWW-Authenticate"]
    bad = Client(SID, "wrong", http_client=WsgiHttpClient(tsim.rest_app))
    with pytest.raises(TwilioRestException) as err:
        bad.messages.create(to="+15550100001", from_="+15005550006", body="x")
    assert err.value.status == 401
    with pytest.raises(TwilioException) as listed:  # list pages fail as a plain TwilioException
        bad.conferences.list()
    assert listed.value.args[1].status_code == 401
    other = Client("AC" + "9" * 32, TOKEN, http_client=WsgiHttpClient(tsim.rest_app))
    with pytest.raises(TwilioException):
        other.conferences.list()


def test_conferences_listed_by_name_and_status(tapp, tsim, client):
    tapp.docs["/voice"] = xml(ROOM)
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    (conf,) = client.conferences.list(friendly_name="r1", status="in-progress")
    assert conf.sid.startswith("CF") and conf.friendly_name == "r1" and conf.status == "in-progress"
    assert client.conferences.list(friendly_name="nope") == []
    parts = client.conferences(conf.sid).participants.list()
    assert {p.call_sid for p in parts} == {a.sid, b.sid} and all(p.muted is False for p in parts)
    updated = client.conferences(conf.sid).participants(a.sid).update(muted=True)
    assert updated.muted is True
    assert [p.call_sid for p in client.conferences(conf.sid).participants.list(muted=True)] == [a.sid]
    client.conferences(conf.sid).update(status="completed")
    tsim.settle()
    assert client.conferences(conf.sid).fetch().status == "completed"
    assert a.ended and b.ended  # no action, no more verbs: the calls end


def test_unknown_participant_and_conference_are_404(tapp, tsim, client):
    with pytest.raises(TwilioException) as err:
        client.conferences("CF" + "0" * 32).participants.list()
    assert err.value.args[1].status_code == 404
    with pytest.raises(TwilioRestException) as missing:
        client.conferences("CF" + "0" * 32).participants("CA" + "0" * 32).update(muted=True)
    assert missing.value.status == 404 and missing.value.code == 20404


def test_calls_fetch_and_hang_up(tapp, tsim, client):
    tapp.docs["/voice"] = xml("<Gather><Say>x</Say></Gather>")
    call = tsim.call("+15550100001")
    fetched = client.calls(call.sid).fetch()
    assert (fetched.status, fetched.direction, fetched.to) == ("in-progress", "inbound", call.to)
    client.calls(call.sid).update(status="completed")
    tsim.settle()
    assert call.ended and client.calls(call.sid).fetch().status == "completed"
    with pytest.raises(TwilioRestException) as err:
        client.calls(call.sid).update(url="https://app.example/x")
    assert err.value.status == 400 and err.value.code == 21220


def test_update_with_twiml(tapp, tsim, client):
    tapp.docs["/voice"] = xml("<Gather><Say>x</Say></Gather>")
    call = tsim.call("+15550100001")
    client.calls(call.sid).update(twiml="<Response><Say>hello from the API</Say></Response>")
    tsim.settle()
    assert call.said() == ["x", "hello from the API"]


def test_message_needs_a_body(tsim, client):
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to="+15550100001", from_="+15005550006", body="")
    assert err.value.status == 400
    msg = client.messages.create(to="+15550100001", from_="+15005550006", body="hello")
    assert msg.sid.startswith("SM") and msg.status == "queued" and tsim.outbox[0]["body"] == "hello"
