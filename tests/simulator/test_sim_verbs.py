"""The TwiML executor: each verb, Twilio's Gather rules, signing, limits and errors."""
from __future__ import annotations

import pytest

from ivr.simulator import SimulatorError
from tests.simulator.twimlapp import BASE, NUMBER, SID, xml

CALLER = "+15550107777"


def test_call_posts_standard_params_signed_like_twilio(tapp, tsim):
    tapp.docs["/voice"] = xml("<Say>Hello</Say>")
    call = tsim.call(CALLER)
    path, form, signed = tapp.hits[0]
    assert (path, signed) == ("/voice", True)
    assert form["CallSid"] == call.sid and call.sid.startswith("CA") and len(call.sid) == 34
    assert form["AccountSid"] == SID
    assert (form["From"], form["To"], form["Caller"], form["Called"]) == (CALLER, NUMBER, CALLER, NUMBER)
    assert (form["Direction"], form["ApiVersion"], form["CallStatus"]) == ("inbound", "2010-04-01", "ringing")


def test_say_play_pause_then_document_end_hangs_up_and_reports_status(tapp, tsim, tmp_path):
    from pydub.generators import Sine
    wav = tmp_path / "tone.wav"
    Sine(440).to_audio_segment(duration=1500).export(wav, format="wav")
    tapp.docs["/tone.wav"] = lambda form: __import__("flask").Response(wav.read_bytes(), content_type="audio/wav")
    tapp.docs["/voice"] = xml('<Say voice="Polly.Joanna" language="en-US">Hi  there</Say>'
                              '<Play>/tone.wav</Play><Pause length="2"/><Say loop="2">Bye</Say>')
    call = tsim.call(CALLER)
    assert call.ended and call.status == "completed"
    assert [e.kind for e in call.transcript] == ["say", "play", "pause", "say", "say"]
    assert call.transcript[0].text == "Hi there" and call.transcript[0].attrs["language"] == "en-US"
    assert call.transcript[1].text == BASE + "/tone.wav"
    assert call.transcript[1].attrs["seconds"] == pytest.approx(1.5, abs=0.05)
    status = tapp.form("/cb/status")
    assert status["CallStatus"] == "completed" and status["CallSid"] == call.sid
    assert int(status["CallDuration"]) >= 4  # 1.5 s of tone, a 2 s pause, words


def test_gather_num_digits_posts_digits_to_action(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather numDigits="1" action="/menu"><Say>Press 1</Say></Gather><Say>fell</Say>')
    tapp.docs["/menu"] = lambda form: xml(f"<Say>You chose {form.get('Digits')}</Say>")
    call = tsim.call(CALLER)
    assert call.waiting.kind == "gather" and call.waiting.spec["numDigits"] == 1
    call.press("42")
    assert call.said() == ["Press 1", "You chose 4"]
    assert tapp.form("/menu")["Digits"] == "4"


def test_gather_finish_on_key_and_default_hash(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather action="/pin"><Say>PIN then hash</Say></Gather>')
    tapp.docs["/pin"] = xml("<Hangup/>")
    call = tsim.call(CALLER)
    call.press("1234#")
    form = tapp.form("/pin")
    assert form["Digits"] == "1234" and form["FinishedOnKey"] == "#"


def test_gather_timeout_without_action_on_empty_result_falls_through(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather action="/menu"><Say>Press</Say></Gather><Say>We did not hear you</Say>')
    call = tsim.call(CALLER)
    call.silence()
    assert "/menu" not in tapp.paths()
    assert call.said() == ["Press", "We did not hear you"] and call.ended


def test_gather_timeout_with_action_on_empty_result_posts_without_digits(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather action="/menu" actionOnEmptyResult="true" timeout="3"><Say>Press</Say></Gather>'
                              '<Say>never</Say>')
    tapp.docs["/menu"] = xml("<Say>empty</Say>")
    call = tsim.call(CALLER)
    before = tsim.clock
    call.silence()
    assert "Digits" not in tapp.form("/menu")
    assert call.said() == ["Press", "empty"]
    assert tsim.clock - before >= 3


def test_gather_default_action_is_the_current_document(tapp, tsim):
    calls = []
    tapp.docs["/voice"] = lambda form: (calls.append(form.get("Digits")),
                                        xml("<Gather numDigits='1'><Say>again</Say></Gather>"))[1]
    call = tsim.call(CALLER)
    call.press("7")
    assert calls == [None, "7"]


def test_keypress_interrupts_nested_prompts(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather numDigits="1" action="/x"><Say>First long prompt</Say><Say>Second</Say></Gather>')
    tapp.docs["/x"] = xml("<Say>ok</Say>")
    call = tsim.call(CALLER)
    call.press("1", barge_in=True)
    assert call.said() == ["First long prompt", "ok"]
    assert call.transcript[0].interrupted


def test_speech_needs_input_speech(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather input="dtmf speech" action="/s"><Say>Say it</Say></Gather>')
    tapp.docs["/s"] = xml('<Gather input="dtmf" action="/s2"><Say>keys only</Say></Gather><Say>fell</Say>')
    call = tsim.call(CALLER)
    call.say("join a circle")
    form = tapp.form("/s")
    assert form["SpeechResult"] == "join a circle" and float(form["Confidence"]) > 0
    call.say("hello")  # ignored by a dtmf-only gather: it times out and falls through
    assert "/s2" not in tapp.paths() and call.said()[-1] == "fell"


def test_redirect_hangup_and_relative_urls(tapp, tsim):
    tapp.docs["/voice"] = xml("<Redirect>next?x=1</Redirect><Say>never</Say>")
    tapp.docs["/next"] = xml("<Say>there</Say><Hangup/><Say>never</Say>")
    call = tsim.call(CALLER)
    assert tapp.paths()[:2] == ["/voice", "/next"]
    assert call.said() == ["there"] and call.status == "completed"


def test_reject_ends_busy(tapp, tsim):
    tapp.docs["/voice"] = xml('<Reject reason="busy"/>')
    call = tsim.call(CALLER)
    assert call.status == "busy"
    assert tapp.form("/cb/status")["CallStatus"] == "busy"


def test_dial_number_with_scripted_outcome(tapp, tsim):
    tapp.docs["/voice"] = xml('<Dial action="/dialled" timeout="20">+15550100988</Dial>')
    tapp.docs["/dialled"] = lambda form: xml(f"<Say>{form['DialCallStatus']}</Say>")
    tsim.dial_outcomes["+15550100988"] = ("no-answer", 0)
    call = tsim.call(CALLER)
    assert call.said() == ["no-answer"]
    assert call.entries("dial")[0].text == "+15550100988"
    assert tapp.form("/dialled")["DialCallDuration"] == "0"


def test_dial_without_action_goes_on_with_the_next_verb(tapp, tsim):
    tapp.docs["/voice"] = xml("<Dial><Number>+15550100988</Number></Dial><Say>after</Say>")
    call = tsim.call(CALLER)
    assert call.said() == ["after"] and call.entries("dial")[0].attrs["status"] == "completed"


def test_unknown_verb_is_an_error_naming_it(tapp, tsim):
    tapp.docs["/voice"] = xml("<Say>a</Say><Pay/>")
    with pytest.raises(SimulatorError, match="<Pay>"):
        tsim.call(CALLER)
    call = tsim.calls[-1]
    assert call.error and "<Pay>" in call.error and call.ended


def test_gather_with_a_record_inside_is_an_error(tapp, tsim):
    tapp.docs["/voice"] = xml("<Gather><Record/></Gather>")
    with pytest.raises(SimulatorError, match="not allowed inside <Gather>"):
        tsim.call(CALLER)


def test_twiml_over_64kb_is_an_error(tapp, tsim):
    tapp.docs["/voice"] = xml("<Say>" + "x" * (64 * 1024) + "</Say>")
    with pytest.raises(SimulatorError, match="64 kB"):
        tsim.call(CALLER)


def test_a_500_is_an_application_error_the_caller_hears(tapp, tsim):
    tsim.strict = False
    tapp.docs["/voice"] = lambda form: __import__("flask").Response("boom", 500)
    call = tsim.call(CALLER)
    assert "application error" in call.heard() and call.ended
    assert tsim.errors and "HTTP 500" in tsim.errors[0]


def test_signature_is_what_ivr_signing_accepts_and_tampering_is_refused(tapp, tsim):
    tapp.docs["/voice"] = xml("<Say>a</Say>")
    tsim.call(CALLER)
    assert tapp.hits[0][2] is True
    # A simulator with the wrong token is refused by the same check.
    from ivr.simulator import Simulator
    bad = Simulator.in_process(tapp.flask, account_sid=SID, auth_token="wrong", base_url=BASE)
    bad.add_number(NUMBER, BASE + "/voice")
    bad.strict = False
    call = bad.call(CALLER)
    assert tapp.hits[-1][2] is False and "HTTP 403" in call.error


def test_query_strings_are_signed_raw(tapp, tsim):
    tapp.docs["/voice"] = xml("<Redirect>/q?a=%27b%27&amp;c=d%40e</Redirect>")
    tapp.docs["/q"] = xml("<Say>ok</Say>")
    call = tsim.call(CALLER)
    assert call.said() == ["ok"] and all(h[2] for h in tapp.hits)


def test_script_drives_a_whole_call(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather numDigits="1" action="/a"><Say>one</Say></Gather>')
    tapp.docs["/a"] = xml('<Gather action="/b" input="speech"><Say>two</Say></Gather>')
    tapp.docs["/b"] = lambda form: xml(f"<Say>heard {form['SpeechResult']}</Say>")
    call = tsim.call(CALLER, script=["1", "say a story"])
    assert call.ended and call.said() == ["one", "two", "heard a story"]


def test_caller_hangs_up_mid_prompt(tapp, tsim):
    tapp.docs["/voice"] = xml("<Say>one</Say><Say>two</Say><Say>three</Say>")
    call = tsim.call(CALLER, hangup_after_prompts=2)
    assert call.said() == ["one", "two"] and call.transcript[1].interrupted
    assert tapp.form("/cb/status")["CallStatus"] == "completed"


def test_input_that_does_not_fit_is_refused(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather><Say>x</Say></Gather>')
    call = tsim.call(CALLER)
    with pytest.raises(SimulatorError, match="does not fit"):
        call.record("/nonexistent.wav")
    call.hangup()
    with pytest.raises(SimulatorError, match="has ended"):
        call.press("1")


def test_ssml_inside_say_keeps_its_words(tapp, tsim):
    tapp.docs["/voice"] = xml('<Say>Hello <break time="1s"/><prosody rate="slow">take your time</prosody>.</Say>')
    call = tsim.call(CALLER)
    assert call.said() == ["Hello take your time."]


def test_play_outside_the_simulation_is_noted_not_fetched(tapp, tsim):
    tapp.docs["/voice"] = xml("<Play>http://twimlets.com/holdmusic?Bucket=x</Play>")
    call = tsim.call(CALLER)
    (entry,) = call.entries("play")
    assert entry.attrs["seconds"] is None and "outside" in entry.attrs["error"]


def test_script_items_parse():
    from ivr.simulator import parse_script_item
    assert parse_script_item("12#").value == "12#" and parse_script_item("!1").barge_in
    assert parse_script_item("say join a circle").value == "join a circle"
    rec = parse_script_item("rec a.wav #")
    assert (rec.kind, rec.value, rec.finish_key, rec.hangup) == ("record", "a.wav", "#", False)
    assert parse_script_item("rec a.wav hangup").hangup
    assert parse_script_item("").kind == "silence" and parse_script_item("q").kind == "hangup"
    with pytest.raises(ValueError):
        parse_script_item("12x")


def test_redirect_loop_is_an_error_not_a_hang(tapp, tsim):
    tapp.docs["/voice"] = xml("<Say>again</Say><Redirect>/voice</Redirect>")
    with pytest.raises(SimulatorError, match="redirect loop"):
        tsim.call(CALLER)


def test_fallback_url_is_requested_when_a_document_fails(tapp, tsim):
    from flask import Response
    tsim.add_number(NUMBER, BASE + "/voice", status_callback=BASE + "/cb/status", fallback_url=BASE + "/sorry")
    tapp.docs["/voice"] = xml('<Gather numDigits="1" action="/broken"><Say>menu</Say></Gather>')
    tapp.docs["/broken"] = lambda form: Response("boom", 500)
    tapp.docs["/sorry"] = xml("<Say>Sorry, try again later</Say>")
    call = tsim.call(CALLER)
    call.press("1")
    fallback = tapp.form("/sorry")
    assert fallback["ErrorCode"] == "11200" and fallback["ErrorUrl"] == BASE + "/broken"
    assert fallback["Digits"] == "1" and call.said() == ["menu", "Sorry, try again later"]
    assert call.error is None and call.ended


def test_a_slow_webhook_times_out_like_twilio(tapp, tsim):
    import time
    tsim.strict = False
    tsim.transport.timeout = 0.05
    tapp.docs["/voice"] = lambda form: (time.sleep(0.1), xml("<Say>late</Say>"))[1]
    call = tsim.call(CALLER)
    assert "timed out" in call.error and "late" not in call.heard()
