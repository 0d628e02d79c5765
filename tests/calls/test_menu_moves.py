"""Menu moves remembered: built once, served to every caller with their own state, never when they count."""
from urllib.parse import urlsplit

from sqlalchemy import select

from ivr.calls import callers, engine, menu_moves
from ivr.calls.models import Call, Caller, CallTally
from ivr.extensions import db
from tests.calls.test_light_webhooks import FORM, action, post, state_of
from tests.twiml import gather, spoken

NUMBERS = ["+15551230001", "+15551230002", "+15551230003"]


def returning_callers(app) -> list[int]:
    """Three callers with a saved language; their ids."""
    with app.app_context():
        rows = [Caller(number_hash=callers.number_hash(n, app.config["CALLER_HASH_KEY"]), language="en",
                       heard_howto=True) for n in NUMBERS]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def call_in(twilio, i: int):
    """Caller i's new call: the main menu."""
    return post(twilio, "/voice/incoming", CallSid=f"CAmove{i}", From=NUMBERS[i])


def press(twilio, i: int, url: str, digit: str):
    return post(twilio, url, CallSid=f"CAmove{i}", From=NUMBERS[i], Digits=digit)


def count_builds(monkeypatch) -> list[str]:
    """Every time the engine really handles a keypress (not answered from memory)."""
    built: list[str] = []
    real = engine.handle_input

    def counted(ctx, name):
        built.append(name)
        return real(ctx, name)
    monkeypatch.setattr(engine, "handle_input", counted)
    return built


def test_a_menu_move_is_built_once_and_each_caller_gets_their_own_state(twilio, app, monkeypatch):
    ids = returning_callers(app)
    built = count_builds(monkeypatch)
    answers = [press(twilio, i, action(call_in(twilio, i)), "9") for i in range(3)]
    assert built == ["main_menu"]  # the second and third caller were answered from memory
    assert all(spoken(a) == spoken(answers[0]) for a in answers)
    assert "Options. To change the language, press 1." in spoken(answers[2])
    states = [state_of(action(a)) for a in answers]
    assert [s.caller_id for s in states] == ids  # each URL carries its own caller, not the first one's
    assert {(s.step, s.language, s.misses) for s in states} == {("options", "en", 0)}
    # The remembered answer leads on like a built one: the next keys still work for caller 3.
    back = press(twilio, 2, action(answers[2]), "#")
    assert "To hear stories from other people" in spoken(back) and state_of(action(back)).caller_id == ids[2]


def test_a_move_that_counts_is_never_remembered(twilio, app, monkeypatch):
    returning_callers(app)
    built = count_builds(monkeypatch)
    for i in range(2):
        press(twilio, i, action(call_in(twilio, i)), "1")  # stories: a section reached, counted per call
    assert built == ["main_menu", "main_menu"]
    with app.app_context():
        tally = db.session.execute(select(CallTally).filter_by(event="stories")).scalar_one()
        assert tally.n == 2


def test_a_missed_key_is_remembered_with_its_count(twilio, app):
    returning_callers(app)
    first = press(twilio, 0, action(call_in(twilio, 0)), "7")
    second = press(twilio, 1, action(call_in(twilio, 1)), "7")
    assert spoken(second) == spoken(first)
    assert state_of(action(second)).misses == 1  # the count travels in the caller's own state
    third = press(twilio, 1, action(second), "7")  # a second miss: start again, as a built answer would
    assert state_of(action(third)).misses == 0 and spoken(third) != spoken(second)


def test_a_changed_setting_is_heard_at_once(twilio, app):
    returning_callers(app)
    press(twilio, 0, action(call_in(twilio, 0)), "9")
    app.config["GATHER_TIMEOUT"] = 11
    answer = press(twilio, 1, action(call_in(twilio, 1)), "9")
    assert gather(answer).get("timeout") == "11"


def test_remembered_moves_expire(twilio, app, monkeypatch):
    returning_callers(app)
    now = [1000.0]
    app.extensions["peerline.menu_moves"] = menu_moves.MenuMoves(clock=lambda: now[0])
    built = count_builds(monkeypatch)
    press(twilio, 0, action(call_in(twilio, 0)), "9")
    press(twilio, 1, action(call_in(twilio, 1)), "9")
    now[0] += menu_moves.TTL_S + 1
    press(twilio, 2, action(call_in(twilio, 2)), "9")
    assert built == ["main_menu", "main_menu"]


def test_a_remembered_move_still_needs_twilios_signature(twilio, app):
    returning_callers(app)
    url = action(call_in(twilio, 0))
    press(twilio, 0, url, "9")
    path = urlsplit(url).path
    form = {**FORM, "CallSid": "CAmove0", "From": NUMBERS[0], "Digits": "9"}
    r = twilio.client.post(path, data=form, headers={"X-Twilio-Signature": "forged"})
    assert r.status_code == 403


def test_only_a_move_decided_by_its_key_is_kept():
    moves = menu_moves.MenuMoves(clock=lambda: 0.0)
    state = "1.en.main_menu..0.0.0.42.h."
    form = {"Digits": "9", "CallSid": "CA1", "From": "+15550000000"}
    key = moves.key(object, "main_menu", state, menu_moves.inputs_of("", form))
    read_from = menu_moves.Reads(form)
    read_from.get("Digits")
    read_from.get("From")  # a move that looked at the number is about this caller: not kept
    moves.remember(key, state, state, "<Response/>", read_from, menu_moves.Reads({}), pure=True)
    assert len(moves) == 0
    moves.remember(key, state, state, "<Response/>", menu_moves.Reads(form), menu_moves.Reads({}), pure=False)
    assert len(moves) == 0
    listed = menu_moves.Reads(form)
    assert listed.items()  # any method we cannot follow spoils the move
    moves.remember(key, state, state, "<Response/>", listed, menu_moves.Reads({}), pure=True)
    assert len(moves) == 0
    moves.remember(key, state, state, "<Response>~cs~</Response>", menu_moves.Reads(form), menu_moves.Reads({}),
                   pure=True)
    assert moves.recall(key, "1.en.main_menu..0.0.0.7.h.3", {}) == ("<Response>1.en.main_menu..0.0.0.7.h.3</Response>",
                                                                    "1.en.main_menu..0.0.0.7.h.3")
    assert moves.recall(key, "1.en.main_menu..0.0.0.x7.h.", {}) is None  # not a caller id: built afresh


def test_a_new_calls_first_answer_is_built_once_for_the_same_saved_preferences(twilio, app, monkeypatch):
    ids = returning_callers(app)
    start = app.extensions["peerline.flows"].start
    starts: list[str] = []
    real = engine.render

    def counted(ctx, name, *args, **kwargs):
        if name == start:
            starts.append(ctx.language)
        return real(ctx, name, *args, **kwargs)
    monkeypatch.setattr(engine, "render", counted)
    menus = [call_in(twilio, i) for i in range(3)]
    stranger = post(twilio, "/voice/incoming", CallSid="CAmove9", From="+15559870000")
    assert starts == ["en", "en"]  # once for the three returning callers, once for the new one
    assert all(spoken(m) == spoken(menus[0]) for m in menus) and "To hear stories" in spoken(menus[0])
    assert "For English" in spoken(stranger)
    assert [state_of(action(m)).caller_id for m in menus] == ids
    with app.app_context():  # every call's row is written, with that caller and the state it left
        rows = {c.call_sid: (c.caller_id, c.step) for c in db.session.execute(select(Call)).scalars()}
    assert rows == {**{f"CAmove{i}": (ids[i], "main_menu") for i in range(3)}, "CAmove9": (None, "language")}


def test_every_crisis_press_is_counted(twilio, app):
    returning_callers(app)
    for i in range(3):
        crisis = press(twilio, i, action(call_in(twilio, i)), "0")
        assert crisis.find(".//Dial") is not None or "crisis" in spoken(crisis).lower()
    with app.app_context():
        counts = {t.event: t.n for t in db.session.execute(select(CallTally)).scalars()}
    assert counts["crisis_press"] == 3 and counts["crisis"] == 3


def test_speech_and_several_keys_are_never_kept(twilio, app):
    returning_callers(app)
    moves = menu_moves.of(app)
    url = action(call_in(twilio, 0))
    kept = len(moves)
    said = post(twilio, url, CallSid="CAmove0", From=NUMBERS[0], SpeechResult="i feel so alone tonight")
    typed = post(twilio, url, CallSid="CAmove0", From=NUMBERS[0], Digits="5551234")
    assert len(moves) == kept  # nothing a caller said or typed is held in memory
    assert state_of(action(said)).misses == 1 and state_of(action(typed)).misses == 1


def test_an_expired_move_is_forgotten_when_met():
    now = [0.0]
    moves = menu_moves.MenuMoves(clock=lambda: now[0])
    state, form = "1.en.main_menu..0.0.0.42.h.", {"Digits": "9"}
    key = moves.key(object, "main_menu", state, menu_moves.inputs_of("", form))
    moves.remember(key, state, state, "<Response/>", menu_moves.Reads(form), menu_moves.Reads({}), pure=True)
    now[0] = menu_moves.TTL_S + 1
    assert moves.recall(key, state, {}) is None and len(moves) == 0
