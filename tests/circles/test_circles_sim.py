"""Multi-caller circles on the phone simulator (Twilio's stand-in): the facilitator starts the
circle, participants join muted, hands, mute-all, lock, late joiners, the cap, callbacks that
repeat and arrive out of order, and the crisis line from inside a circle."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ivr import telephony
from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.extensions import db
from ivr.circles.models import CircleSession
from tests.circles.test_circles_voice import PIN, open_circle

FACILITATOR = "+15550107777"


def number(n: int) -> str:
    """A participant's phone number."""
    return f"+1555020{n:04d}"


def join(phone, n: int):
    """A first-time caller: English, skip the tip, circles, join the open circle, no name."""
    call = phone(number(n))
    for key in ("1", "5", "2", "1", "2"):
        call.press(key)
    return call


def facilitate(phone):
    """The facilitator signs in with circle number and PIN and dials in."""
    call = phone(FACILITATOR)
    for key in ("1", "5", "2", "8", "3#", PIN + "#"):
        call.press(key)
    return call


def in_conference(call) -> bool:
    """True while the call waits inside a conference leg."""
    return call.waiting is not None and call.waiting.kind == "conference"


def session_of(app) -> CircleSession:
    """The one meeting in the database (in the caller's app context)."""
    return db.session.execute(select(CircleSession)).scalar_one()


def twilio_truth(app, session_sid: str) -> dict[str, dict]:
    """What the simulator (Twilio) says about each participant, by CallSid."""
    with app.app_context():
        return {p["call_sid"]: p for p in telephony.list_participants(session_sid)}


def start_circle(app, phone, participants=5, **circle):
    """Open circle 3, let `participants` callers join and wait, then the facilitator starts it."""
    open_circle(app, **circle)
    calls = [join(phone, n) for n in range(participants)]
    assert all(in_conference(c) for c in calls)
    fac = facilitate(phone)
    assert in_conference(fac)
    return fac, calls


def test_facilitator_starts_the_circle_and_five_join_muted(app, phone, sim):
    open_circle(app)
    calls = [join(phone, n) for n in range(5)]
    for call in calls:
        assert in_conference(call)
        assert "The person leading the circle will join soon" in call.heard()  # the waiting room
        assert any(e.text.endswith("/audio/hold/gentle.wav") for e in call.entries("play"))
        assert "first names only" not in call.heard()  # not started yet
    with app.app_context():
        assert session_of(app).status == "waiting"
    fac = facilitate(phone)
    assert in_conference(fac) and "Welcome. Starting the circle" in fac.heard()
    with app.app_context():
        session = session_of(app)
        assert session.status == "live" and session.rules_announced
        people = circle_roster.present(session, role="participant")
        assert len(people) == 5 and all(p.muted for p in people)
        assert [p.call_sid for p in circle_roster.present(session, role="facilitator")] == [fac.sid]
        sid = session.conference_sid
    truth = twilio_truth(app, sid)
    assert len(truth) == 6
    assert all(truth[c.sid]["muted"] for c in calls) and not truth[fac.sid]["muted"]
    # The ground rules were announced to everyone when the circle started.
    for call in calls + [fac]:
        assert "What is shared here stays here" in call.heard(), call.lines()


def test_hands_unmute_first_then_mute_all_and_lock(app, phone, sim):
    fac, calls = start_circle(app, phone)
    first, second = calls[2], calls[4]
    for call in (first, second):
        mark = call.mark()
        call.press("*")  # out of the conference leg into the star menu
        assert not in_conference(call)
        call.press("1")
        assert "Your hand is raised" in call.since(mark) and in_conference(call)
    with app.app_context():
        assert [p.call_sid for p in circle_roster.hand_queue(session_of(app))] == [first.sid, second.sid]
    fac.press("*")
    mark = fac.mark()
    fac.press("1")  # unmute the next raised hand
    assert "The next raised hand is unmuted. One more hand is waiting" in fac.since(mark)
    with app.app_context():
        session = session_of(app)
        sid = session.conference_sid
        assert [p.call_sid for p in circle_roster.hand_queue(session)] == [second.sid]
        assert session.last_speaker_id == circle_roster.participant_for_call(session, first.sid).id
    assert twilio_truth(app, sid)[first.sid]["muted"] is False
    assert "The next person with a raised hand may speak now" in first.heard()  # announced
    mark = fac.mark()
    fac.press("2")  # mute everyone
    assert "Everyone is muted" in fac.since(mark)
    fac.press("4")  # more choices
    fac.press("1")  # lock
    assert "The circle is locked" in fac.since(mark)
    assert fac.since(mark).count("To unmute the next raised hand") == 0  # the list is not repeated
    fac.press("#")  # back in
    assert in_conference(fac)
    truth = twilio_truth(app, sid)
    assert all(truth[c.sid]["muted"] for c in calls)
    assert truth[fac.sid]["muted"] is False
    with app.app_context():
        session = session_of(app)
        assert session.locked
        assert all(p.muted for p in circle_roster.present(session, role="participant"))
    # Locked: a newcomer is refused kindly.
    late = join(phone, 9)
    assert not in_conference(late) and "has closed its doors" in late.heard()


def test_late_joiner_hears_the_rules(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=2)
    late = join(phone, 7)
    assert in_conference(late)
    heard = late.heard()
    assert "first names only" in heard and "One person speaks at a time" in heard
    with app.app_context():
        assert len(circle_roster.present(session_of(app), role="participant")) == 3
        assert circle_roster.participant_for_call(session_of(app), late.sid).muted


def test_sixth_caller_is_refused_at_cap_five(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=5, cap=5)
    sixth = join(phone, 6)
    assert not in_conference(sixth)
    assert "is full right now" in sixth.heard() and "It meets again" in sixth.heard()
    sixth.press("1")  # stories instead
    assert not in_conference(sixth)
    with app.app_context():
        assert len(circle_roster.present(session_of(app), role="participant")) == 5
        assert circle_roster.participant_for_call(session_of(app), sixth.sid) is None


def test_repeated_and_out_of_order_callbacks_leave_the_roster_right(app, phone, sim):
    sim.faults.duplicate_callbacks = 2
    sim.faults.reorder_callbacks = True
    fac, calls = start_circle(app, phone, participants=4)
    calls[0].press("*")
    calls[0].press("1")  # hand up, back in
    calls[1].hangup()
    calls[2].talk(3)
    fac.press("*")
    fac.press("1")  # unmute calls[0]
    fac.press("#")
    with app.app_context():
        session = session_of(app)
        sid = session.conference_sid
        roster = {p.call_sid: p for p in circle_roster.roster(session)}
    truth = twilio_truth(app, sid)
    connected = {s for s, p in roster.items() if p.connected}
    assert connected == set(truth)
    for call_sid, p in truth.items():
        assert roster[call_sid].muted == p["muted"], call_sid
    assert roster[calls[1].sid].left_at is not None and not roster[calls[1].sid].connected
    assert roster[calls[0].sid].muted is False
    assert len(sim.callbacks_of("conference")) > 3 * 10  # many were repeated


def test_participant_presses_zero_and_reaches_the_crisis_dial(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=2)
    caller = calls[0]
    caller.press("*")
    caller.press("0")
    dials = [e for e in caller.entries("dial")]
    assert dials and dials[-1].text == app.config["CRISIS_NUMBER"]
    assert not in_conference(caller)
    with app.app_context():
        session = session_of(app)
        assert caller.sid not in {p.call_sid for p in circle_roster.present(session)}
        truth = telephony.list_participants(session.conference_sid)
    assert caller.sid not in {p["call_sid"] for p in truth}


def test_facilitator_removes_the_last_speaker_and_ends_the_circle(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=3)
    calls[1].talk(2)  # speaker events make them the last speaker
    fac.press("*")
    mark = fac.mark()
    fac.press("4")  # more choices
    fac.press("2")  # remove the last speaker
    assert "The last speaker has been removed" in fac.since(mark)
    assert not in_conference(calls[1]) and "asked to step out" in calls[1].heard()
    fac.press("4")
    fac.press("3")  # end the circle for everyone
    fac.press("1")
    assert "The circle has ended for everyone" in fac.since(mark)
    for call in (calls[0], calls[2]):
        assert not in_conference(call) and "This circle has ended" in call.heard()
    with app.app_context():
        session = session_of(app)
        assert session.status == "ended" and not circle_roster.present(session)


def join_with_name(phone, n: int, wav):
    """Like join, but records a first name (a WAV spoken into the 2-second <Record>)."""
    call = phone(number(n))
    for key in ("1", "5", "2", "1", "1"):
        call.press(key)
    call.record(wav)
    return call


def test_roll_call_plays_first_names_and_they_are_deleted_when_the_circle_ends(app, phone, sim, tmp_path):
    import subprocess
    wav = tmp_path / "name.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(wav), "synth", "1.2", "sine", "300"], check=True)
    open_circle(app)
    named = join_with_name(phone, 1, wav)
    plain = join(phone, 2)
    assert in_conference(named) and in_conference(plain)
    fac = facilitate(phone)
    for call in (plain, named):  # plain raises first
        call.press("*")
        call.press("1")
    with app.app_context():
        session = session_of(app)
        recording_sid = circle_roster.participant_for_call(session, named.sid).name_recording_sid
    assert recording_sid and sim.recordings.get(recording_sid) is not None
    fac.press("*")
    mark = fac.mark()
    fac.press("3")
    assert "2 people are in the circle. 2 hands are raised. In order: someone without a name" in fac.since(mark)
    played = [e.text for e in fac.transcript[mark:] if e.kind == "play"]
    assert played and played[0].endswith(f"/Recordings/{recording_sid}")
    fac.press("4")
    fac.press("3")
    fac.press("1")  # end for all: the first names go too
    assert sim.recordings.get(recording_sid) is None
    with app.app_context():
        assert all(p.name_recording_sid is None for p in circle_roster.roster(session_of(app)))


def test_everyone_hanging_up_ends_the_meeting(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=2)
    for call in calls + [fac]:
        call.hangup()
    with app.app_context():
        session = session_of(app)
        assert session.status == "ended" and session.ended_at is not None
        assert all(p.left_at is not None and not p.connected for p in circle_roster.roster(session))
    # A new caller now starts a new meeting under a new opaque name.
    again = join(phone, 5)
    assert in_conference(again)
    with app.app_context():
        names = {s.conference_name for s in db.session.execute(select(CircleSession)).scalars()}
    assert len(names) == 2


def test_hanging_up_in_the_star_menu_frees_the_place(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=2, cap=2)
    calls[0].press("*")  # in the star menu: still holds a place
    assert "is full right now" in join(phone, 8).heard()
    calls[0].hangup()  # no conference callback for this; the call's status callback says it
    newcomer = join(phone, 9)
    assert in_conference(newcomer)


def test_facilitator_alone_hears_only_music_while_waiting(app, phone, sim):
    open_circle(app)
    fac = facilitate(phone)
    assert in_conference(fac)
    assert "The person leading the circle will join soon" not in fac.heard()
    assert any(e.text.endswith("/audio/hold/gentle.wav") for e in fac.entries("play"))


def _spanish_caller_hears_circles(phone, n: int):
    """A first-time caller picks Spanish, skips the tip and asks for circles; returns the call and
    the overview's <Say> entries (text and language, as Twilio would speak them)."""
    call = phone(number(n))
    call.press("2")  # español
    call.press("5")  # skip the tip
    mark = call.mark()
    call.press("2")  # circles
    return call, [e for e in call.transcript[mark:] if e.kind == "say"]


def test_spanish_caller_hears_spanish_circles_first_and_the_language_of_the_others(app, phone, sim):
    open_circle(app, number=3, name="Grief and loss")                      # English, open
    open_circle(app, number=4, name="Duelo", language="es")                # Spanish, open
    with app.app_context():
        later = (datetime.now(timezone.utc) + timedelta(hours=3)).strftime("%H:%M")
        circles.create_circle(number=6, name="Familia", days="0,1,2,3,4,5,6", start_time=later,
                              timezone_name="UTC", duration_min=60, language="es")  # Spanish, later
        db.session.commit()
    call, says = _spanish_caller_hears_circles(phone, 0)
    texts = [e.text for e in says]
    order = [next(i for i, t in enumerate(texts) if t.startswith(f"El círculo {n},")) for n in (4, 6, 3)]
    assert order == sorted(order), texts  # Spanish circles first (open, then later), then English
    assert texts[order[2]] == "El círculo 3, Grief and loss, está abierto ahora."
    assert texts[order[2] + 1] == "Este círculo es en inglés."
    assert texts.count("Este círculo es en inglés.") == 1  # said only of the English circle
    assert {e.attrs["language"] for e in says} == {"es-US"}
    # "Join a circle": the one open circle in the caller's language, straight away.
    call.press("1")
    call.press("2")  # no first name
    assert in_conference(call)
    with app.app_context():
        joined = circles.participant_of_call(call.sid)
        assert joined.session.circle.number == 4


def test_spanish_caller_joins_an_english_circle_only_by_choosing_its_number(app, phone, sim):
    open_circle(app, number=3, name="Grief and loss")
    call, says = _spanish_caller_hears_circles(phone, 1)
    assert [e.text for e in says][1] == "Este círculo es en inglés."
    mark = call.mark()
    call.press("1")
    assert not in_conference(call)
    assert "número del círculo" in call.since(mark)  # asked for the number, not dialled in
    call.press("3#")
    call.press("2")  # no first name
    assert in_conference(call)
