"""Circles through signed webhooks: hearing what is open, joining muted, the facilitator's PIN,
the conference TwiML, star menus, full/locked/closed circles and the conference callback route."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.extensions import db
from ivr.calls.models import CallStep
from ivr.circles.models import CircleParticipant, CircleSession
from tests.calls.test_voice_incoming import NUMBER, _returning_caller, call, press
from tests.twiml import gather, parse, spoken, without_state

PIN = "246813"


def open_circle(app, number=3, name="Grief and loss", cap=12, **extra):
    """A circle meeting right now (every day, started five minutes ago) with facilitator Sam."""
    with app.app_context():
        start = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%H:%M")
        circle = circles.create_circle(number=number, name=name, days="0,1,2,3,4,5,6", start_time=start,
                                       timezone_name="UTC", duration_min=120, cap=cap, **extra)
        circles.add_facilitator(circle, "Sam", PIN)
        db.session.commit()
        return circle.id


def closed_circle(app, number=5, name="Family"):
    """A circle whose next meeting is three hours away."""
    with app.app_context():
        start = (datetime.now(timezone.utc) + timedelta(hours=3)).strftime("%H:%M")
        circle = circles.create_circle(number=number, name=name, days="0,1,2,3,4,5,6", start_time=start,
                                       timezone_name="UTC", duration_min=60)
        db.session.commit()
        return circle.id


def dial_of(root):
    """The <Dial> and its <Conference> of a circle-joining response."""
    dial = root.find("Dial")
    assert dial is not None, [child.tag for child in root]
    conference = dial.find("Conference")
    assert conference is not None
    return dial, conference


def join(twilio, app, sid="CA1", number=NUMBER):
    """From the main menu: circles, join (the one open circle), skip the name. Returns the TwiML."""
    call(twilio, sid=sid, number=number)
    press(twilio, "main_menu", "2", sid=sid, number=number)
    press(twilio, "circle_menu", "1", sid=sid, number=number)
    return press(twilio, "circle_name", "2", sid=sid, number=number)


def facilitate(twilio, sid="CAF", number="+15550107777"):
    """Sign in as the facilitator of circle 3 and dial in. Returns the TwiML."""
    call(twilio, sid=sid, number=number)
    press(twilio, "main_menu", "2", sid=sid, number=number)
    press(twilio, "circle_menu", "8", sid=sid, number=number)
    press(twilio, "circle_fac_number", "3#", sid=sid, number=number)
    return press(twilio, "circle_fac_pin", PIN + "#", sid=sid, number=number)


def test_overview_says_what_is_open_now_and_what_meets_next(twilio, app):
    open_circle(app)
    closed_circle(app)
    _returning_caller(twilio, app)
    call(twilio)
    root = press(twilio, "main_menu", "2")
    said = spoken(root)
    assert "Circle 3, Grief and loss, is open now." in said
    assert "Circle 5, Family, meets today at" in said or "Circle 5, Family, meets tomorrow at" in said
    assert "meets next" not in said  # not "meets next today", "meets next next Monday"
    assert "This circle is in" not in said  # both are in the caller's language
    assert gather(root).get("action").endswith("/voice/step/circle_menu/input")


def test_participant_joins_muted_with_waiting_room_and_opaque_names(twilio, app):
    circle_id = open_circle(app)
    _returning_caller(twilio, app)
    root = join(twilio, app)
    assert "You start muted" in spoken(root)
    dial, conf = dial_of(root)
    assert dial.get("hangupOnStar") == "true"
    assert without_state(dial.get("action")) == "https://peerline.test/voice/step/circle_enter/input"
    assert conf.get("muted") == "true"
    assert conf.get("startConferenceOnEnter") == "false"
    assert conf.get("endConferenceOnExit") == "false"
    assert conf.get("waitUrl") == f"https://peerline.test/voice/circles/wait?c={circle_id}"
    assert conf.get("statusCallback") == "https://peerline.test/voice/circles/conference"
    assert conf.get("statusCallbackEvent") == "start end join leave mute hold speaker"
    assert conf.get("record") is None and dial.get("record") is None  # circles are never recorded
    with app.app_context():
        session = db.session.execute(select(CircleSession)).scalar_one()
        participant = db.session.execute(select(CircleParticipant)).scalar_one()
    # Opaque ids only: nothing of the circle's name or the caller's number goes to Twilio.
    assert conf.text == session.conference_name and "Grief" not in conf.text
    assert conf.get("participantLabel") == participant.label and "1234567" not in participant.label
    # The waiting room: a kind word and the hold music.
    wait = parse(twilio.post(f"/voice/circles/wait?c={circle_id}", {"CallSid": "CA1"}))
    assert "The person leading the circle will join soon" in spoken(wait)
    assert wait.find("Play").text == "https://peerline.test/audio/hold/gentle.wav"
    music = app.test_client().get("/audio/hold/gentle.wav")
    assert music.status_code == 200 and music.data[:4] == b"RIFF"


def test_facilitator_needs_the_pin_and_starts_the_circle(twilio, app):
    open_circle(app)
    call(twilio, sid="CAF", number="+15550107777")
    press(twilio, "main_menu", "2", sid="CAF", number="+15550107777")
    root = press(twilio, "circle_menu", "8", sid="CAF", number="+15550107777")
    assert "Enter your circle number" in spoken(root)
    root = press(twilio, "circle_fac_number", "3#", sid="CAF", number="+15550107777")
    assert gather(root).get("action").endswith("/voice/step/circle_fac_pin/input")
    root = press(twilio, "circle_fac_pin", "1111#", sid="CAF", number="+15550107777")
    assert "That PIN did not work" in spoken(root) and root.find("Dial") is None
    root = press(twilio, "circle_fac_pin", PIN + "#", sid="CAF", number="+15550107777")
    assert "Welcome. Starting the circle" in spoken(root)
    _, conf = dial_of(root)
    assert conf.get("startConferenceOnEnter") == "true" and conf.get("muted") == "false"
    assert conf.get("endConferenceOnExit") == "false"  # stepping out to the star menu must not end it
    with app.app_context():
        outcomes = [s.outcome for s in db.session.execute(select(CallStep)).scalars()]
        assert not any(PIN in (o or "") or "1111" in (o or "") for o in outcomes)
        assert db.session.execute(select(CircleParticipant)).scalar_one().role == "facilitator"


def test_three_wrong_pins_end_the_attempt(twilio, app):
    open_circle(app)
    call(twilio, sid="CAF", number="+15550107777")
    press(twilio, "main_menu", "2", sid="CAF", number="+15550107777")
    press(twilio, "circle_menu", "8", sid="CAF", number="+15550107777")
    press(twilio, "circle_fac_number", "3#", sid="CAF", number="+15550107777")
    for _ in range(2):
        press(twilio, "circle_fac_pin", "0000#", sid="CAF", number="+15550107777")
    root = press(twilio, "circle_fac_pin", "0000#", sid="CAF", number="+15550107777")
    assert "did not work again" in spoken(root)
    assert gather(root).get("action").endswith("/voice/step/main_menu/input")
    assert root.find("Dial") is None


def test_late_joiner_hears_the_ground_rules_before_the_dial(twilio, app):
    open_circle(app)
    _returning_caller(twilio, app)
    with app.app_context():
        session = circles.open_session(circles.find_circle(3))
        session.status = "live"
        db.session.commit()
    root = join(twilio, app)
    said = spoken(root)
    assert "first names only" in said and "stays here" in said and "medicine" in said
    assert [child.tag for child in root][-1] == "Dial"


def test_star_menus_for_participants_and_facilitators(twilio, app):
    open_circle(app)
    _returning_caller(twilio, app)
    join(twilio, app)
    facilitate(twilio)
    # The participant presses * (the Dial's action runs): the participant menu.
    root = call(twilio, path="/voice/step/circle_enter/input", DialCallStatus="completed")
    assert gather(root).get("action").endswith("/voice/step/circle_star_participant/input")
    root = press(twilio, "circle_star_participant", "1")
    assert "Your hand is raised" in spoken(root)
    dial_of(root)  # straight back into the circle
    with app.app_context():
        p = db.session.execute(select(CircleParticipant).filter_by(call_sid="CA1")).scalar_one()
        assert p.hand_raised_at is not None and p.left_at is None
    # The facilitator presses *: the facilitator menu.
    root = call(twilio, sid="CAF", number="+15550107777", path="/voice/step/circle_enter/input",
                DialCallStatus="completed")
    assert gather(root).get("action").endswith("/voice/step/circle_star_facilitator/input")
    root = press(twilio, "circle_star_facilitator", "4", sid="CAF", number="+15550107777")
    assert gather(root).get("action").endswith("/voice/step/circle_fac_more/input")  # the second level
    root = press(twilio, "circle_fac_more", "1", sid="CAF", number="+15550107777")
    assert "The circle is locked" in spoken(root)
    assert "To unmute" not in spoken(root)  # after an action, a short line, not the list again
    assert gather(root).get("action").endswith("/voice/step/circle_fac_done/input")
    root = press(twilio, "circle_fac_done", "#", sid="CAF", number="+15550107777")
    dial_of(root)


def test_participant_menu_zero_reaches_the_crisis_dial(twilio, app):
    open_circle(app)
    _returning_caller(twilio, app)
    join(twilio, app)
    call(twilio, path="/voice/step/circle_enter/input", DialCallStatus="completed")
    root = press(twilio, "circle_star_participant", "0")
    assert "+15550100988" in "".join(root.find("Dial").itertext())
    assert root.find("Dial").find("Conference") is None


def test_participant_cannot_use_facilitator_controls(twilio, app):
    open_circle(app)
    _returning_caller(twilio, app)
    join(twilio, app)
    root = press(twilio, "circle_fac_more", "1")  # a forged key press to the wrong menu
    with app.app_context():
        assert db.session.execute(select(CircleSession)).scalar_one().locked is False
    assert "locked" not in spoken(root)


def test_full_circle_is_refused_kindly_with_the_next_time_and_stories(twilio, app):
    open_circle(app, cap=2)
    with app.app_context():
        session = circles.open_session(circles.find_circle(3))
        circle_roster.admit(session, "CA-x")
        circle_roster.admit(session, "CA-y")
        db.session.commit()
    _returning_caller(twilio, app)
    call(twilio)
    press(twilio, "main_menu", "2")
    root = press(twilio, "circle_menu", "1")
    said = spoken(root)
    # The meeting began five minutes ago, every day: the next one is a day after that start, which is
    # still "today" when the test runs in the first minutes after midnight UTC.
    began = datetime.now(timezone.utc) - timedelta(minutes=5)
    day = "tomorrow" if (began + timedelta(days=1)).date() > datetime.now(timezone.utc).date() else "today"
    assert "Grief and loss is full right now" in said and f"It meets again {day} at" in said
    assert gather(root).get("action").endswith("/voice/step/circle_full_menu/input")
    assert root.find("Dial") is None


def test_locked_circle_is_refused(twilio, app):
    open_circle(app)
    with app.app_context():
        circles.set_session_lock(circles.open_session(circles.find_circle(3)), True)
        db.session.commit()
    _returning_caller(twilio, app)
    call(twilio)
    press(twilio, "main_menu", "2")
    root = press(twilio, "circle_menu", "1")
    assert "has closed its doors" in spoken(root) and root.find("Dial") is None


def test_closed_circle_by_number_says_when_it_meets(twilio, app):
    open_circle(app)
    open_circle(app, number=4, name="Anxiety")
    closed_circle(app)
    _returning_caller(twilio, app)
    call(twilio)
    press(twilio, "main_menu", "2")
    root = press(twilio, "circle_menu", "1")  # two are open: asks for the number
    assert gather(root).get("action").endswith("/voice/step/circle_number/input")
    root = press(twilio, "circle_number", "5#")
    said = spoken(root)
    assert "Family is not meeting right now. It meets today at" in said or "Family is not meeting right now. It meets tomorrow at" in said
    assert gather(root).get("action").endswith("/voice/step/circle_closed_menu/input")
    root = press(twilio, "circle_closed_menu", "#")
    assert gather(root).get("action").endswith("/voice/step/circle_menu/input")


def test_unknown_circle_number_reprompts(twilio, app):
    open_circle(app)
    open_circle(app, number=4, name="Anxiety")
    _returning_caller(twilio, app)
    call(twilio)
    press(twilio, "main_menu", "2")
    press(twilio, "circle_menu", "1")
    root = press(twilio, "circle_number", "99#")
    assert "no circle with that number" in spoken(root)
    assert gather(root).get("action").endswith("/voice/step/circle_number/input")


def test_removed_and_ended_callers_hear_why(twilio, app):
    open_circle(app)
    _returning_caller(twilio, app)
    join(twilio, app)
    join(twilio, app, sid="CA2", number="+15550102222")
    with app.app_context():
        p = db.session.execute(select(CircleParticipant).filter_by(call_sid="CA1")).scalar_one()
        circle_roster.record_removed(p)
        db.session.commit()
    root = call(twilio, path="/voice/step/circle_enter/input", DialCallStatus="completed")
    assert "asked to step out" in spoken(root)
    with app.app_context():
        circle_roster.record_ended(db.session.execute(select(CircleSession)).scalar_one())
        db.session.commit()
    root = call(twilio, sid="CA2", number="+15550102222", path="/voice/step/circle_enter/input",
                DialCallStatus="completed")
    assert "This circle has ended" in spoken(root)


def test_conference_callback_route_is_signed_and_idempotent(twilio, app, client):
    open_circle(app)
    _returning_caller(twilio, app)
    join(twilio, app)
    with app.app_context():
        name = db.session.execute(select(CircleSession)).scalar_one().conference_name
    form = {"FriendlyName": name, "ConferenceSid": "CF" + "b" * 32, "StatusCallbackEvent": "participant-join",
            "SequenceNumber": "1", "CallSid": "CA1", "Muted": "true", "Hold": "false"}
    assert client.post("/voice/circles/conference", data=form).status_code == 403
    for _ in range(3):
        assert twilio.post("/voice/circles/conference", form).status_code == 204
    with app.app_context():
        p = db.session.execute(select(CircleParticipant)).scalar_one()
        assert (p.connected, p.muted, p.last_sequence) == (True, True, 1)


def test_first_name_recording_is_kept_for_the_roll_call(twilio, app):
    open_circle(app)
    _returning_caller(twilio, app)
    call(twilio)
    press(twilio, "main_menu", "2")
    press(twilio, "circle_menu", "1")
    root = press(twilio, "circle_name", "1")
    record = root.find("Record")
    assert record.get("maxLength") == "2"
    assert record.get("recordingStatusCallback") == "https://peerline.test/voice/circles/name-recording"
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    root = call(twilio, path="/voice/step/circle_name_record/input", RecordingSid="RE1", RecordingUrl=url)
    dial_of(root)
    with app.app_context():
        p = db.session.execute(select(CircleParticipant)).scalar_one()
        assert (p.name_recording_sid, p.name_recording_url) == ("RE1", url)


def test_every_circle_prompt_is_in_english_and_spanish(app):
    prompts = app.extensions["peerline.flows"].prompts
    ids = [pid for pid in prompts.table if pid.startswith("circle")]
    assert len(ids) > 60
    assert all(not prompts.missing_languages(pid) for pid in ids)


def test_pin_guessing_across_calls_pauses_pin_sign_in(twilio, app):
    open_circle(app)
    for n in range(7):  # 7 calls x 3 wrong PINs = 21 failures
        sid, number = f"CAG{n}", f"+1555011{n:04d}"
        call(twilio, sid=sid, number=number)
        press(twilio, "main_menu", "2", sid=sid, number=number)
        press(twilio, "circle_menu", "8", sid=sid, number=number)
        press(twilio, "circle_fac_number", "3#", sid=sid, number=number)
        for _ in range(3):
            press(twilio, "circle_fac_pin", "0000#", sid=sid, number=number)
    root = facilitate(twilio)  # even the right PIN waits until the guessing stops
    assert root.find("Dial") is None and "paused for 15 minutes" in spoken(root)


def test_spanish_caller_hears_circles_in_spanish(twilio, app):
    closed_circle(app, name="Familia")
    with app.app_context():
        from ivr.calls.callers import number_hash
        from ivr.calls.models import Caller
        db.session.add(Caller(number_hash=number_hash(NUMBER, app.config["CALLER_HASH_KEY"]),
                              language="es", heard_howto=True))
        db.session.commit()
    call(twilio)
    root = press(twilio, "main_menu", "2")
    said = spoken(root)
    assert "El círculo 5, Familia, se reúne hoy a la" in said or "El círculo 5, Familia, se reúne mañana a la" in said
    assert "de la" in said  # "a las 9 de la noche", not "9 PM"
    assert "Este círculo es en inglés." in said  # the circle is in English: the caller is told
    assert "Para unirse a un círculo, oprima 1" in spoken(gather(root))
    assert {el.get("language") for el in root.iter("Say")} == {"es-US"}
