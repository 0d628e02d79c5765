"""The crisis key works from every menu; a failed dial speaks the number twice, slowly, offers it
again, and then goes back (pound: where the caller was; waiting: the main menu)."""
from tests.calls.test_voice_incoming import _returning_caller, call, press
from tests.twiml import spoken


def menus(app):
    """Every menu step in the flows."""
    return [s.name for s in app.extensions["peerline.flows"].steps.values() if s.kind == "menu"]


def test_zero_dials_the_crisis_line_from_every_menu(twilio, app):
    _returning_caller(twilio, app)
    call(twilio)
    for name in menus(app):
        root = press(twilio, name, "0")
        dial = root.find("Dial")
        assert dial is not None, name
        assert dial.find("Number") is not None or (dial.text or "").strip() == "+15550100988"
        assert "+15550100988" in "".join(dial.itertext())
        assert "You matter" in spoken(root)


def test_failed_dial_speaks_number_twice_and_returns_to_the_menu(twilio, app):
    _returning_caller(twilio, app)
    call(twilio)
    press(twilio, "options", "0")  # enter crisis from options
    root = call(twilio, path="/voice/step/crisis/input", DialCallStatus="no-answer")
    said = spoken(root)
    assert said.count("1, 5, 5, 5, 0, 1, 0, 0, 9, 8, 8") == 2
    assert "You can hang up and call it now. To hear the number again, press 1." in said
    assert root.find("Gather").get("action").endswith("/voice/step/crisis_after/input")
    again = press(twilio, "crisis_after", "1")
    assert spoken(again).count("1, 5, 5, 5, 0, 1, 0, 0, 9, 8, 8") == 2
    assert again.find("Gather").get("action").endswith("/voice/step/crisis_after/input")
    back = press(twilio, "crisis_after", "#")  # back to where the caller was
    assert back.find("Gather").get("action").endswith("/voice/step/options/input")


def test_no_number_configured_speaks_fallback(twilio, app):
    app.config["CRISIS_NUMBER"] = ""
    _returning_caller(twilio, app)
    call(twilio)
    root = press(twilio, "main_menu", "0")
    assert root.find("Dial") is None
    said = spoken(root)
    assert said.startswith("You matter") and said.count("9, 8, 8") == 2
    assert "To hear the number again, press 1" in said
    assert root.find("Gather").get("action").endswith("/voice/step/crisis_after/input")
    then = press(twilio, "crisis_after", "")  # waiting: only then the main menu
    assert then.find("Gather").get("action").endswith("/voice/step/main_menu/input")
