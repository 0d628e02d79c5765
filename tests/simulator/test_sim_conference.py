"""Conference rooms: start rules, wait music, * to leave, end on exit, limits, beeps, callbacks."""
from __future__ import annotations

import pytest

from tests.simulator.twimlapp import xml

EVENTS = "start end join leave mute hold modify speaker announcement"


def conf(name="room", dial="", **attrs) -> str:
    extra = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    return xml(f'<Dial action="/after" {dial}><Conference statusCallback="/cb/conf" '
               f'statusCallbackEvent="{EVENTS}" {extra}>{name}</Conference></Dial>')


def events(tapp):
    return [(f["StatusCallbackEvent"], f.get("CallSid")) for p, f, ok in tapp.hits if p == "/cb/conf"]


@pytest.fixture
def room_app(tapp):
    tapp.docs["/after"] = lambda form: xml(f"<Say>after {form['DialCallStatus']}</Say><Gather><Say>menu</Say></Gather>")
    tapp.docs["/wait"] = xml("<Say>Please wait for the facilitator</Say><Play>/music.wav</Play><Redirect>/wait</Redirect>")
    return tapp


def test_lone_participant_hears_wait_url_until_a_second_joins(room_app, tsim):
    room_app.docs["/voice"] = conf(waitUrl="/wait")
    a = tsim.call("+15550100001")
    room = tsim.rooms.named("room")
    assert room.status == "init" and a.waiting.kind == "conference"
    assert "Please wait for the facilitator" in a.heard()
    wait_req = [f for p, f, ok in room_app.hits if p == "/wait"][0]
    assert wait_req["CallSid"] == a.sid and all(ok for p, f, ok in room_app.hits)
    b = tsim.call("+15550100002")
    assert room.status == "in-progress"
    assert [e for e, _ in events(room_app)] == ["participant-join", "participant-join", "conference-start"]
    assert any(e.kind == "beep" for e in a.transcript)  # beep="true" by default: a hears b join


def test_moderated_room_waits_for_start_conference_on_enter(room_app, tsim):
    room_app.docs["/voice"] = lambda form: conf(startConferenceOnEnter="true" if form["From"].endswith("9") else "false",
                                                waitUrl="")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    room = tsim.rooms.named("room")
    assert room.status == "init"
    tsim.call("+15550100009")
    assert room.status == "in-progress"
    seqs = [int(f["SequenceNumber"]) for p, f, ok in room_app.hits if p == "/cb/conf"]
    assert seqs == list(range(1, len(seqs) + 1))


def test_star_leaves_with_hangup_on_star_and_runs_the_action(room_app, tsim):
    room_app.docs["/voice"] = conf(dial='hangupOnStar="true"', waitUrl="")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    a.press("5")
    assert "keys are not passed" in " ".join(a.lines()) and a.waiting.kind == "conference"
    a.press("*")
    assert a.said()[-2:] == ["after completed", "menu"]
    after = room_app.form("/after")
    assert after["ConferenceSid"] == tsim.rooms.by_sid[after["ConferenceSid"]].sid
    assert ("participant-leave", a.sid) in events(room_app)
    assert b.waiting.kind == "conference"


def test_star_without_hangup_on_star_stays(room_app, tsim):
    room_app.docs["/voice"] = conf(waitUrl="")
    a = tsim.call("+15550100001")
    a.press("*")
    assert a.waiting.kind == "conference" and "/after" not in room_app.paths()


def test_end_conference_on_exit_ends_it_for_everyone(room_app, tsim):
    room_app.docs["/voice"] = lambda form: conf(endConferenceOnExit="true" if form["From"].endswith("9") else "false",
                                                waitUrl="")
    fac = tsim.call("+15550100009")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    fac.hangup()
    for call in (a, b):
        assert "after completed" in call.heard()
    end = [f for p, f, ok in room_app.hits if p == "/cb/conf"][-1]
    assert end["StatusCallbackEvent"] == "conference-end"
    assert end["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    assert end["CallSidEndingConference"] == fac.sid
    # The name is free again: a new caller starts a new conference with a new sid.
    old = tsim.rooms.by_sid[end["ConferenceSid"]]
    tsim.call("+15550100003")
    assert tsim.rooms.named("room").sid != old.sid


def test_last_participant_leaving_ends_the_room(room_app, tsim):
    room_app.docs["/voice"] = conf(waitUrl="")
    a = tsim.call("+15550100001")
    a.hangup()
    assert events(room_app)[-1][0] == "conference-end"
    status = room_app.form("/cb/status")
    assert status["CallSid"] == a.sid and status["CallStatus"] == "completed"


def test_max_participants(room_app, tsim):
    room_app.docs["/voice"] = conf(maxParticipants="2", waitUrl="")
    tsim.call("+15550100001"), tsim.call("+15550100002")
    c = tsim.call("+15550100003")
    assert "after failed" in c.heard()
    assert len(tsim.rooms.named("room").participants) == 2


def test_muted_join_and_beep_false(room_app, tsim):
    room_app.docs["/voice"] = lambda form: conf(muted="true" if form["From"].endswith("2") else "false",
                                                beep="false", waitUrl="")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    join = [f for p, f, ok in room_app.hits if p == "/cb/conf" and f["StatusCallbackEvent"] == "participant-join"]
    assert [j["Muted"] for j in join] == ["false", "true"]
    assert not a.entries("beep")


def test_speaker_events(room_app, tsim):
    room_app.docs["/voice"] = conf(waitUrl="")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    a.talk(3)
    assert events(room_app)[-2:] == [("participant-speech-start", a.sid), ("participant-speech-stop", a.sid)]


def test_status_callback_event_words_filter(room_app, tsim):
    room_app.docs["/voice"] = xml('<Dial><Conference statusCallback="/cb/conf" statusCallbackEvent="join" '
                                  'waitUrl="">room</Conference></Dial>')
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    a.hangup()
    assert [e for e, _ in events(room_app)] == ["participant-join", "participant-join"]


def test_unknown_status_callback_event_is_an_error(room_app, tsim):
    from ivr.simulator import SimulatorError
    room_app.docs["/voice"] = xml('<Dial><Conference statusCallback="/cb/conf" statusCallbackEvent="join,bogus">r'
                                  '</Conference></Dial>')
    with pytest.raises(SimulatorError, match="bogus"):
        tsim.call("+15550100001")


def test_redirect_takes_a_participant_out(room_app, tsim):
    room_app.docs["/voice"] = conf(waitUrl="")
    room_app.docs["/moved"] = xml("<Say>moved</Say>")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    tsim.rest_request("POST", f"{tsim.api_base}/2010-04-01/Accounts/{tsim.account_sid}/Calls/{a.sid}.json",
                      {"Url": "https://app.example/moved"})
    tsim.settle()
    assert a.said()[-1] == "moved" and a.ended
    assert a.sid not in tsim.rooms.named("room").participants
    leave = [f for p, f, ok in room_app.hits if p == "/cb/conf" and f["StatusCallbackEvent"] == "participant-leave"]
    assert leave[0]["ReasonParticipantLeft"] == "participant_updated_via_api"


def _participant_url(tsim, room, call):
    return f"{tsim.api_base}/2010-04-01/Accounts/{tsim.account_sid}/Conferences/{room.sid}/Participants/{call.sid}.json"


def test_hold_plays_hold_url_and_announce_to_one_participant(room_app, tsim):
    room_app.docs["/voice"] = conf(waitUrl="")
    room_app.docs["/hold"] = xml("<Say>You are on hold</Say>")
    room_app.docs["/just-you"] = xml("<Say>A word for you</Say>")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    room = tsim.rooms.named("room")
    reply = tsim.rest_request("POST", _participant_url(tsim, room, a),
                              {"Hold": "true", "HoldUrl": "https://app.example/hold", "HoldMethod": "POST"})
    assert reply.status == 200 and "You are on hold" not in a.heard()  # played after the request
    tsim.settle()
    assert "You are on hold" in a.heard() and room.participants[a.sid].hold
    tsim.rest_request("POST", _participant_url(tsim, room, b), {"AnnounceUrl": "https://app.example/just-you"})
    tsim.settle()
    assert "A word for you" in b.heard() and "A word for you" not in a.heard()
    names = [e for e, _ in events(room_app)]
    assert names[-2:] == ["participant-hold", "announcement-end"]


def test_label_change_is_a_modify_event_and_repeated_mute_is_quiet(room_app, tsim):
    room_app.docs["/voice"] = conf(waitUrl="")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    room = tsim.rooms.named("room")
    for _ in range(2):
        tsim.rest_request("POST", _participant_url(tsim, room, a), {"Muted": "true"})
    tsim.rest_request("POST", _participant_url(tsim, room, a), {"Label": "p-1"})
    tsim.settle()
    names = [e for e, _ in events(room_app)]
    assert names.count("participant-mute") == 1 and names[-1] == "participant-modify"
    modify = [f for p, f, ok in room_app.hits if p == "/cb/conf"][-1]
    assert modify["ParticipantLabel"] == "p-1" and modify["Muted"] == "true"


def test_removed_participant_runs_the_dial_action(room_app, tsim):
    room_app.docs["/voice"] = conf(waitUrl="")
    a, b = tsim.call("+15550100001"), tsim.call("+15550100002")
    room = tsim.rooms.named("room")
    assert tsim.rest_request("DELETE", _participant_url(tsim, room, a)).status == 204
    assert a.waiting.kind == "conference"  # nothing runs inside the request
    tsim.settle()
    assert "after completed" in a.heard()
    leave = [f for p, f, ok in room_app.hits if p == "/cb/conf" and f["StatusCallbackEvent"] == "participant-leave"]
    assert leave[0]["CallSid"] == a.sid and leave[0]["ReasonParticipantLeft"] == "participant_kicked"
