"""The caller's main path through signed webhooks: welcome, language, how-to, menu, misses."""
from sqlalchemy import select

from ivr.extensions import db
from ivr.calls.models import Call, Caller, CallStep, CallTally
from tests.twiml import gather, parse, spoken, without_state

NUMBER = "+15551234567"


def call(twilio, sid="CA1", number=NUMBER, path="/voice/incoming", **form):
    """Post one webhook of call `sid` from `number`."""
    return parse(twilio.post(path, {"CallSid": sid, "From": number, "To": "+15550001111",
                                   "AccountSid": "AC" + "1" * 32, "CallStatus": "in-progress", **form}))


def press(twilio, step, digits, sid="CA1", number=NUMBER, **form):
    """Press keys at a step's gather."""
    return call(twilio, sid, number, path=f"/voice/step/{step}/input", Digits=digits, **form)


def test_first_call_asks_language_in_every_language(twilio):
    root = call(twilio)
    said = spoken(root)
    assert "Welcome to Peerline" in said
    g = gather(root)
    assert without_state(g.get("action")) == "https://peerline.test/voice/step/language/input"
    assert g.get("numDigits") == "1"
    langs = {el.get("language") for el in g.iter("Say")}
    assert langs == {"en-US", "es-US"}


def test_language_is_remembered_and_howto_only_once(twilio, app):
    call(twilio)
    root = press(twilio, "language", "2")
    said = spoken(root)
    assert "español" in said and "consejo" in said  # Spanish how-to follows
    root = press(twilio, "howto", "5")  # any key skips
    assert "historias" in spoken(root)
    # A second call from the same number: Spanish, no language menu, no how-to.
    root = call(twilio, sid="CA2")
    said = spoken(root)
    assert "Le damos la bienvenida" in said and "historias" in said and "consejo" not in said
    assert gather(root).get("action").endswith("/voice/step/main_menu/input")


def test_no_raw_number_is_stored(twilio, app):
    call(twilio)
    press(twilio, "language", "1")
    with app.app_context():
        caller = db.session.execute(select(Caller)).scalar_one()
        assert caller.number_hash and NUMBER not in caller.number_hash
        assert "1234567" not in caller.number_hash
        # No column of any table holds the digits of the number.
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()).all():
                assert not any("1234567" in str(value) for value in row), table.name


def test_withheld_caller_id_works_and_nothing_is_remembered(twilio, app):
    call(twilio, number="anonymous")
    press(twilio, "language", "2", number="anonymous")
    root = call(twilio, sid="CA2", number="anonymous")
    assert gather(root).get("action").endswith("/voice/step/language/input")
    with app.app_context():
        assert db.session.execute(select(Caller)).first() is None
        assert db.session.execute(select(Call).filter_by(call_sid="CA1")).scalar_one().caller_id is None


def _returning_caller(twilio, app):
    with app.app_context():
        from ivr.calls.callers import number_hash
        db.session.add(Caller(number_hash=number_hash(NUMBER, app.config["CALLER_HASH_KEY"]),
                              language="en", heard_howto=True))
        db.session.commit()


def test_missed_input_reprompts_simply_then_starts_again(twilio, app):
    _returning_caller(twilio, app)
    call(twilio)
    first = press(twilio, "main_menu", "")
    assert "Take your time" in spoken(first)
    assert "Press 1 for stories" in spoken(first) and "0 for the crisis line" in spoken(first)  # simpler
    second = press(twilio, "main_menu", "7")
    assert "Let's start again" in spoken(second) and "press 0" in spoken(second)
    assert gather(second).get("action").endswith("/voice/step/start_again/input")
    third = press(twilio, "start_again", "7")
    assert "not one of the choices" in spoken(third) and "Hangup" not in root_tags(third)
    star = press(twilio, "start_again", "*")  # star: every choice of the main menu
    assert "To join a circle, press 2" in spoken(star)


def root_tags(root):
    """Top-level verbs of a response."""
    return [child.tag for child in root]


def test_valid_key_resets_misses(twilio, app):
    _returning_caller(twilio, app)
    call(twilio)
    press(twilio, "main_menu", "")
    press(twilio, "main_menu", "9")  # options
    root = press(twilio, "options", "#")  # pound: back to the menu
    assert gather(root).get("action").endswith("/voice/step/main_menu/input")
    root = press(twilio, "main_menu", "")
    assert "Take your time" in spoken(root) and "Let's start again" not in spoken(root)


def test_star_repeats_the_full_menu(twilio, app):
    _returning_caller(twilio, app)
    call(twilio)
    root = press(twilio, "main_menu", "*")
    assert "To hear stories from other people" in spoken(gather(root))


def test_speech_choice(twilio, app):
    _returning_caller(twilio, app)
    root = call(twilio)
    g = gather(root)
    assert g.get("input") == "dtmf speech"
    assert "stories" in g.get("hints")
    root = call(twilio, path="/voice/step/main_menu/input", SpeechResult="I want to hear a story.")
    assert "Stories" in spoken(root)


def test_choices_are_counted_once_per_call_never_as_a_path(twilio, app):
    _returning_caller(twilio, app)
    call(twilio)
    press(twilio, "main_menu", "1")  # stories
    press(twilio, "stories", "#")  # back to the main menu
    press(twilio, "main_menu", "1")  # stories again: the same call counts once
    press(twilio, "stories", "#")
    press(twilio, "main_menu", "9")  # options is not a counted choice
    with app.app_context():
        tallies = {(t.event, t.n) for t in db.session.execute(select(CallTally)).scalars()}
        assert tallies == {("stories", 1)}
        assert db.session.execute(select(CallStep)).first() is None  # no per-call path is kept


def test_status_callback_is_idempotent(twilio, app):
    call(twilio)
    for _ in range(2):
        r = twilio.post("/voice/status", {"CallSid": "CA1", "CallStatus": "completed", "CallDuration": "42"})
        assert r.status_code == 204
    with app.app_context():
        c = db.session.execute(select(Call)).scalar_one()
        assert (c.status, c.duration_s) == ("completed", 42)
