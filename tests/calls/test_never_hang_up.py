"""Nobody is hung up on for pressing keys: six wrong keys at every menu keep the call going
(a simpler re-prompt, then "let's start again"); only ten silences end a call, kindly."""
import pytest

from ivr.config import ROOT
from ivr.calls.flow import load_flows
from ivr.calls.flow_lint import names_crisis_key
from ivr.calls.prompts import Prompts
from tests.stories.factories import NUMBER, add_story, add_topic, returning_caller
from tests.twiml import gather, parse, spoken

FLOWS = load_flows(ROOT / "flows", Prompts(ROOT / "audio"))
MENUS = sorted(name for name, step in FLOWS.steps.items() if step.kind == "menu")
SILENT_MENUS = [name for name in MENUS if not FLOWS.steps[name].on_timeout]


def post(twilio, step, sid="CA1", **form):
    """Post an input to a step, as Twilio does, and parse the TwiML."""
    return parse(twilio.post(f"/voice/step/{step}/input", {
        "CallSid": sid, "From": NUMBER, "To": "+15550001111", "AccountSid": "AC" + "1" * 32,
        "CallStatus": "in-progress", **form}))


def start_call(twilio, sid="CA1"):
    """The call comes in (a returning caller: straight to the main menu)."""
    return twilio.post("/voice/incoming", {"CallSid": sid, "From": NUMBER, "To": "+15550001111",
                                           "AccountSid": "AC" + "1" * 32, "CallStatus": "in-progress"})


def wrong_key(step_name: str) -> str:
    """A key that means nothing at this menu."""
    keys = FLOWS.steps[step_name].keys
    return next(k for k in "5678" if k not in keys)


def verbs(root):
    """Every verb of a response, nested ones too."""
    return [el.tag for el in root.iter()]


@pytest.mark.parametrize("menu", MENUS)
def test_six_wrong_keys_never_end_the_call(twilio, app, menu):
    returning_caller(app)
    start_call(twilio)
    step, heard = menu, []
    for _ in range(6):
        root = post(twilio, step, Digits=wrong_key(step))
        assert "Hangup" not in verbs(root), spoken(root)
        g = gather(root)
        assert g is not None
        words = spoken(g)
        assert names_crisis_key(words), words  # every re-prompt names the crisis key
        heard.append(words)
        step = g.get("action").split("/voice/step/")[1].split("/")[0]
    assert any("Let's start again" in w for w in heard)
    if not FLOWS.steps[menu].any_key:  # the how-to takes any key to go on
        assert "Sorry, that is not one of the choices." in heard[0]


@pytest.mark.parametrize("menu", SILENT_MENUS)
def test_ten_silences_end_the_call_with_a_kind_goodbye(twilio, app, menu):
    returning_caller(app)
    start_call(twilio)
    step = menu
    for n in range(1, 11):
        root = post(twilio, step)
        if n < 10:
            assert "Hangup" not in verbs(root), (n, spoken(root))
            step = gather(root).get("action").split("/voice/step/")[1].split("/")[0]
    assert [el.tag for el in root] == ["Say", "Hangup"]
    goodbye = spoken(root)
    assert "call again any time" in goodbye and "1, 5, 5, 5, 0, 1, 0, 0, 9, 8, 8" in goodbye


def test_a_key_breaks_a_run_of_silences(twilio, app):
    returning_caller(app)
    start_call(twilio)
    for _ in range(9):
        post(twilio, "main_menu")
    post(twilio, "main_menu", Digits="7")  # a key: the caller is there
    for _ in range(9):
        root = post(twilio, "main_menu")
        assert "Hangup" not in verbs(root)


def test_wrong_keys_in_the_story_player_never_end_the_call(phone, app, sim):
    with app.app_context():
        add_story(add_topic(), "A story about the first winter", seconds=8, text="Spring came.")
    returning_caller(app)
    call = phone(NUMBER)
    call.press("1")
    call.press("2")
    call.press("6")  # content-free story: it plays; 6 moves on to the end of the topic, then topics
    for _ in range(6):
        call.press("9")
        assert not call.ended
    assert "Let's start again" in call.heard()
    call.hangup()
    assert not sim.errors


@pytest.mark.parametrize("words,lang", [("help me please", "en"), ("emergency", "en"), ("crisis", "en"),
                                        ("necesito ayuda", "es"), ("emergencia", "es")])
def test_crisis_words_reach_the_crisis_step_from_a_speech_menu(twilio, app, words, lang):
    returning_caller(app, language=lang)
    start_call(twilio)
    root = post(twilio, "main_menu", SpeechResult=words)
    assert [el.tag for el in root if el.tag == "Dial"] == ["Dial"]


def test_unrecognised_speech_is_not_called_a_key(twilio, app):
    returning_caller(app)
    start_call(twilio)
    root = post(twilio, "main_menu", SpeechResult="purple elephants")
    said = spoken(root)
    assert "Sorry, I did not catch that." in said and "key" not in said
