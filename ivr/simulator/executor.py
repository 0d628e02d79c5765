"""Executes TwiML the way Twilio does. Each call runs as a generator that yields where it waits.

Verbs are generator functions `(sim, call, element, doc_url)` that return None (go on with the
next verb) or a `Next` (the document is replaced: a Gather/Record/Dial action or a Redirect).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ivr.simulator.call import Entry, Input, Wait

MAX_TWIML_BYTES = 64 * 1024  # Twilio refuses larger documents
WORDS_PER_SECOND = 2.5
MAX_DOCS_WITHOUT_INPUT = 50  # Twilio would loop forever; a test should fail instead  # rough text-to-speech pace, for the simulated clock
DEFAULT_HOLD_MUSIC = "http://twimlets.com/holdmusic?Bucket=com.twilio.music.classical"


class AppError(Exception):
    """What Twilio calls an application error: a bad answer from the app or unknown TwiML."""


class CallerHangup(Exception):
    """The caller hung up."""


class EndCall(Exception):
    """The call ends with this status (TwiML <Hangup>/<Reject>, or the REST API)."""

    def __init__(self, status: str = "completed"):
        super().__init__(status)
        self.status = status


@dataclass
class Next:
    """The document that replaces the current one: fetched from a URL or given as TwiML."""

    url: str | None = None
    method: str = "POST"
    params: dict | None = None
    twiml: str | None = None


class Redirected(Exception):
    """The REST API gave a live call new TwiML."""

    def __init__(self, nxt: Next):
        super().__init__(nxt.url or "twiml")
        self.next = nxt


def parse_twiml(body: bytes | str, where: str) -> ET.Element:
    """Parse a TwiML document, refusing what Twilio refuses."""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_TWIML_BYTES:
        raise AppError(f"TwiML from {where} is {len(raw)} bytes; Twilio's limit is 64 kB")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise AppError(f"TwiML from {where} is not valid XML: {exc}") from exc
    if root.tag != "Response":
        raise AppError(f"TwiML from {where} has root <{root.tag}>, not <Response>")
    return root


def run_call(sim, call, first: Next):
    """The whole life of a call: fetch, execute, follow actions until the TwiML ends."""
    status = "completed"
    # Twilio's first webhook of an inbound call says "ringing"; everything after, "in-progress".
    call.status = "ringing" if call.direction == "inbound" else "in-progress"
    call.started_at = sim.clock
    try:
        nxt: Next | None = first
        while nxt is not None:
            try:
                call.docs_since_wait += 1
                if call.docs_since_wait > MAX_DOCS_WITHOUT_INPUT:
                    raise AppError(f"{MAX_DOCS_WITHOUT_INPUT} documents in a row without waiting for the caller "
                                   f"(a redirect loop?), last {nxt.url}")
                root, doc_url = sim.fetch_twiml(call, nxt)
                call.status = "in-progress"
                nxt = yield from execute(sim, call, root, doc_url)
            except Redirected as redirect:
                call.transcript.append(Entry("redirect", redirect.next.url or "(new TwiML)", sim.clock))
                nxt = redirect.next
    except CallerHangup:
        pass
    except EndCall as end:
        status = end.status
    except AppError as exc:
        call.error = str(exc)
        call.transcript.append(Entry("error", str(exc), sim.clock))
        call.transcript.append(Entry("say", "We are sorry, an application error has occurred. Goodbye.",
                                     sim.clock, {"source": "twilio"}))
    except GeneratorExit:
        # The simulation is being thrown away with this call still live: no hang-up happened.
        call.waiting = None
        raise
    call.waiting = None
    call.status = status
    call.ended_at = sim.clock
    sim.call_ended(call)


def execute(sim, call, root: ET.Element, doc_url: str):
    """Run one document's verbs in order; a Next replaces the document, running out hangs up."""
    for el in root:
        take_events(call)
        verb = VERBS.get(el.tag)
        if verb is None:
            raise AppError(f"unknown or unsupported TwiML verb <{el.tag}> in {doc_url}")
        nxt = yield from verb(sim, call, el, doc_url)
        if nxt is not None:
            return nxt
    return None


def take_events(call) -> None:
    """Apply REST changes to a running call at a verb boundary (new TwiML, hang up)."""
    for event in list(call.events):
        if event[0] in {"redirect", "end"}:
            call.events.remove(event)
            _raise_for(event)


def _raise_for(event) -> None:
    if event[0] == "redirect":
        raise Redirected(event[1])
    if event[0] == "end":
        raise EndCall(event[1])


def wait(call, what: Wait):
    """Pause the call until the caller or the network does something relevant."""
    while True:
        call.waiting = what
        call.docs_since_wait = 0
        inp: Input = yield what
        call.waiting = None
        if inp.kind == "hangup":
            call.transcript.append(Entry("hangup", "caller", call.sim.clock))
            raise CallerHangup()
        if inp.kind == "event":
            if inp.value[0] in {"redirect", "end"}:
                _raise_for(inp.value)
            if what.kind == "conference":
                return inp
            continue
        return inp


def _bool(value, default=False) -> bool:
    if value is None:
        return default
    return str(value).strip().lower() == "true"


def _int(el, name, default):
    value = el.get(name)
    if value is None or value == "":
        return default
    try:
        return int(float(value))
    except ValueError as exc:
        raise AppError(f"<{el.tag} {name}={value!r}> is not a number") from exc


def _check_hangup_fault(call, entry: Entry) -> None:
    """Fault knob: the caller hangs up while the Nth prompt plays."""
    if call.hangup_after_prompts is None:
        return
    call.hangup_after_prompts -= 1
    if call.hangup_after_prompts <= 0:
        call.hangup_after_prompts = None
        entry.interrupted = True
        call.transcript.append(Entry("hangup", "caller, mid-prompt", call.sim.clock))
        raise CallerHangup()


# -- verbs that only make sound -------------------------------------------------------------
def v_say(sim, call, el, doc_url, source=None):
    """<Say>: the text goes into the transcript with voice and language."""
    text = " ".join("".join(el.itertext()).split())  # SSML children (<break>, <prosody>) keep their words
    loops = max(1, _int(el, "loop", 1))
    for _ in range(loops):
        entry = Entry("say", text, sim.clock, {"voice": el.get("voice"), "language": el.get("language")})
        if source:
            entry.attrs["source"] = source
        call.transcript.append(entry)
        sim.clock += max(1, len(text.split())) / WORDS_PER_SECOND
        _check_hangup_fault(call, entry)
    return None
    yield  # a generator, like every verb


def v_play(sim, call, el, doc_url, source=None):
    """<Play>: the audio's URL and, when it can be fetched, its length."""
    url = sim.absolute((el.text or "").strip(), doc_url)
    if el.get("digits"):
        call.transcript.append(Entry("play", f"digits {el.get('digits')}", sim.clock, {"digits": el.get("digits")}))
        return None
    loops = max(1, _int(el, "loop", 1))
    seconds, error = sim.media_length(url)
    for _ in range(loops):
        entry = Entry("play", url, sim.clock, {"seconds": seconds})
        if error:
            entry.attrs["error"] = error
        if source:
            entry.attrs["source"] = source
        call.transcript.append(entry)
        sim.clock += seconds or 0
        _check_hangup_fault(call, entry)
    return None
    yield


def v_pause(sim, call, el, doc_url, source=None):
    """<Pause length>: silence on the simulated clock."""
    length = _int(el, "length", 1)
    call.transcript.append(Entry("pause", f"{length}s", sim.clock, {"seconds": length}))
    sim.clock += length
    return None
    yield


def v_redirect(sim, call, el, doc_url):
    """<Redirect>: fetch the next document."""
    url = (el.text or "").strip() or doc_url
    call.transcript.append(Entry("redirect", url, sim.clock))
    return Next(sim.absolute(url, doc_url), el.get("method", "POST").upper())
    yield


def v_hangup(sim, call, el, doc_url):
    """<Hangup>: the app ends the call."""
    call.transcript.append(Entry("hangup", "by the app", sim.clock))
    raise EndCall("completed")
    yield


def v_reject(sim, call, el, doc_url):
    """<Reject reason>: the call is refused before answer (busy or not in service)."""
    reason = el.get("reason", "rejected")
    call.transcript.append(Entry("reject", reason, sim.clock))
    raise EndCall("busy" if reason == "busy" else "no-answer")
    yield


# -- Gather ---------------------------------------------------------------------------------
GATHER_CHILDREN = {"Say", "Play", "Pause"}


def v_gather(sim, call, el, doc_url):
    """<Gather>: nested prompts, then digits or speech by Twilio's rules."""
    action = sim.absolute(el.get("action") or doc_url, doc_url)
    method = el.get("method", "POST").upper()
    timeout = _int(el, "timeout", 5)
    finish = el.get("finishOnKey", "#")
    num_digits = _int(el, "numDigits", None)
    modes = set((el.get("input") or "dtmf").lower().split())
    on_empty = _bool(el.get("actionOnEmptyResult"))
    start = len(call.transcript)
    for child in el:
        if child.tag not in GATHER_CHILDREN:
            raise AppError(f"<{child.tag}> is not allowed inside <Gather>")
        yield from VERBS[child.tag](sim, call, child, doc_url)
    spec = {"action": action, "numDigits": num_digits, "finishOnKey": finish, "input": " ".join(sorted(modes)),
            "timeout": timeout, "hints": el.get("hints")}
    inp = yield from wait(call, Wait("gather", spec))
    if inp.barge_in and len(call.transcript) > start:
        # A keypress stops the nested prompt that is playing; the rest is never heard.
        call.transcript[start].interrupted = True
        del call.transcript[start + 1:]
    params: dict[str, str] = {}
    if inp.kind == "digits" and "dtmf" in modes:
        collected, finished_on = collect_digits(inp.value, num_digits, finish)
        call.transcript.append(Entry("press", inp.value, sim.clock))
        if not (num_digits and len(collected) >= num_digits) and finished_on is None:
            sim.clock += timeout  # Twilio waits `timeout` after the last key
        if collected:
            params = {"Digits": collected}
            if finished_on:
                params["FinishedOnKey"] = finished_on
        elif finished_on:
            # Only the finish key: Twilio ends the gather at once and reports which key ended it.
            params = {"Digits": "", "FinishedOnKey": finished_on}
    elif inp.kind == "speech" and "speech" in modes:
        call.transcript.append(Entry("speech", inp.value, sim.clock))
        sim.clock += max(1, len(str(inp.value).split())) / WORDS_PER_SECOND
        if str(inp.value).strip():
            params = {"SpeechResult": str(inp.value), "Confidence": "0.9"}
    else:
        if inp.kind in {"digits", "speech"}:
            kind = "press" if inp.kind == "digits" else "speech"
            call.transcript.append(Entry(kind, str(inp.value), sim.clock, {"ignored": True}))
            call.transcript.append(Entry("note", f"{inp.kind} ignored: Gather input={spec['input']}", sim.clock))
        call.transcript.append(Entry("silence", f"{timeout}s", sim.clock))
        sim.clock += timeout
    if params:
        params["msg"] = "Gather End"
        return Next(action, method, params)
    if on_empty:
        return Next(action, method, {"msg": "Gather End"})
    return None  # Twilio falls through to the next verb


def collect_digits(keys: str, num_digits: int | None, finish: str) -> tuple[str, str | None]:
    """What a Gather keeps of a run of keypresses: up to numDigits or a finishOnKey."""
    collected = ""
    for key in keys.replace("w", ""):
        if finish and key in finish:
            return collected, key
        collected += key
        if num_digits and len(collected) >= num_digits:
            break
    return collected, None


# -- Record ---------------------------------------------------------------------------------
def v_record(sim, call, el, doc_url):
    """<Record>: the caller's WAV becomes a recording; action, then recordingStatusCallback."""
    action = sim.absolute(el.get("action") or doc_url, doc_url)
    method = el.get("method", "POST").upper()
    timeout = _int(el, "timeout", 5)
    finish = el.get("finishOnKey", "1234567890*#")
    max_length = _int(el, "maxLength", 3600)
    trim = el.get("trim", "trim-silence") != "do-not-trim"
    if _bool(el.get("playBeep"), True):
        call.transcript.append(Entry("beep", "", sim.clock))
    spec = {"action": action, "maxLength": max_length, "finishOnKey": finish, "timeout": timeout}
    try:
        inp = yield from wait(call, Wait("record", spec))
    except CallerHangup:
        sim.recording_status(call, None, el, doc_url, status="absent")
        raise
    if inp.kind != "record":
        # Nothing was said: Twilio makes no recording, skips the action and goes on with the next verb.
        sim.recording_status(call, None, el, doc_url, status="absent")
        if inp.kind == "digits":
            call.transcript.append(Entry("press", inp.value, sim.clock))
        call.transcript.append(Entry("silence", f"record: no audio{' (timeout)' if inp.kind == 'silence' else ''}",
                                     sim.clock))
        sim.clock += timeout if inp.kind == "silence" else 0
        return None
    path, hung_up = inp.value, inp.hangup
    audio, timed_out = sim.recordings.load(path, trim=trim, silence_timeout=timeout)
    digits = None
    if len(audio) / 1000.0 > max_length:
        audio = audio[: max_length * 1000]
    elif timed_out:
        if hung_up:
            # The recording ended on silence before the caller hung up: they hang up at the next pause.
            hung_up = False
            call.script.appendleft(Input("hangup"))
    elif hung_up:
        digits = "hangup"
    elif inp.finish_key and finish and inp.finish_key in finish:
        digits = inp.finish_key
    if len(audio) == 0:
        call.transcript.append(Entry("silence", "record: no audio", sim.clock))
        sim.recording_status(call, None, el, doc_url, status="absent")
        sim.clock += timeout
        if hung_up:
            raise CallerHangup()
        return None
    rec = sim.recordings.add(call, audio, el)
    sim.clock += rec.duration
    call.transcript.append(Entry("record", f"{rec.duration}s from {path}", sim.clock,
                                 {"sid": rec.sid, "seconds": rec.duration, "digits": digits}))
    params = {"RecordingUrl": rec.url, "RecordingSid": rec.sid, "RecordingDuration": str(rec.duration)}
    if digits:
        params["Digits"] = digits
    sim.recording_status(call, rec, el, doc_url)
    if hung_up:
        call.transcript.append(Entry("hangup", "caller, mid-recording", sim.clock))
        sim.fetch_twiml(call, Next(action, method, params), ignore_errors=True)  # answer is ignored
        raise CallerHangup()
    return Next(action, method, params)


# -- Dial -----------------------------------------------------------------------------------
def v_dial(sim, call, el, doc_url):
    """<Dial>: a number (scripted outcome) or a conference room; then the action or the next verb."""
    action = el.get("action")
    method = el.get("method", "POST").upper()
    nouns = list(el)
    text = (el.text or "").strip()
    if not nouns and text:
        nouns = [ET.Element("Number")]
        nouns[0].text = text
    if len(nouns) != 1:
        raise AppError(f"<Dial> with {len(nouns)} nouns is not supported by the simulator")
    noun = nouns[0]
    if noun.tag == "Number":
        number = (noun.text or "").strip()
        status, seconds = sim.dial_outcome(number)
        call.transcript.append(Entry("dial", number, sim.clock, {"status": status, "seconds": seconds}))
        sim.clock += seconds
        params = {"DialCallStatus": status, "DialCallSid": sim.new_sid("CA"), "DialCallDuration": str(seconds)}
    elif noun.tag in DIAL_NOUNS:
        status, seconds, extra = yield from DIAL_NOUNS[noun.tag](sim, call, noun, el, doc_url)
        params = {"DialCallStatus": status, "DialCallDuration": str(int(seconds)), **extra}
    else:
        raise AppError(f"<Dial><{noun.tag}> is not supported by the simulator")
    if action:
        return Next(sim.absolute(action, doc_url), method, params)
    return None


#: <Dial> nouns played by other modules (conference.py registers <Conference>), so this module,
#: which they build on, never imports them back.
DIAL_NOUNS: dict = {}

VERBS = {
    "Say": v_say,
    "Play": v_play,
    "Pause": v_pause,
    "Gather": v_gather,
    "Record": v_record,
    "Redirect": v_redirect,
    "Hangup": v_hangup,
    "Reject": v_reject,
    "Dial": v_dial,
}
