"""The flow engine: renders a step as TwiML and turns a caller's input into the next step."""
from __future__ import annotations

from dataclasses import dataclass, field

from twilio.twiml.voice_response import VoiceResponse

from ivr.calls import tally as call_tally
from ivr.calls.registry import ACTIONS
from ivr.calls.call_state import MARK, PREFIX
from ivr.calls.flow import BACK_KEY, CRISIS_KEY, CRISIS_STEP, REPEAT_KEY, FlowSet, Step
from ivr.calls.live_call import LiveCall
from ivr.calls.models import Caller
from ivr.calls.twiml import Voice, slow_digits

# A caller who presses keys is trying: misses never end a call. The first miss at a menu
# re-prompts simply; the second starts again from the main menu with the essentials named.
START_AGAIN_AFTER = 2
MAX_SILENCES = 10  # only silence ends a call: ten in a row, with a kind goodbye
START_AGAIN_STEP = "start_again"
SILENCE_GOODBYE_STEP = "goodbye_missed"
CRISIS_STEPS = {CRISIS_STEP, "crisis_after", "crisis_repeat", "crisis_back"}  # never a place to go back to
NOT_CAUGHT = "not_caught"  # speech we did not understand (never blamed on "that key")
MAX_INLINE = 6  # steps rendered into one response before we hand over with a <Redirect>


def crisis_values(config) -> dict:
    """The crisis number for prompts: as dialled, and spelled out slowly enough to write down."""
    number = config["CRISIS_NUMBER"] or config["CRISIS_SPOKEN_NUMBER"]
    return {"crisis_number": number, "crisis_number_slow": slow_digits(number)}


@dataclass
class CallContext:
    """Everything a step or action needs about the call in progress."""

    call: LiveCall
    flows: FlowSet
    config: dict
    form: dict = field(default_factory=dict)
    #: What makes this answer unrepeatable: an action that is not pure, a count written
    #: (ivr.calls.menu_moves remembers only answers with none).
    effects: int = 0

    @property
    def caller(self) -> Caller | None:
        """The known caller (created when first needed), or None when caller ID was withheld."""
        return self.call.caller

    @property
    def language(self) -> str:
        """The call's current language code."""
        return self.call.language

    @property
    def voice(self) -> Voice:
        """A Voice for the call's current language."""
        return Voice(self.flows.prompts, self.language, self.config["PUBLIC_BASE_URL"], crisis_values(self.config))

    def url(self, path: str) -> str:
        """Absolute public URL for one of Peerline's paths (what Twilio will call and sign)."""
        return self.config["PUBLIC_BASE_URL"] + path

    def step_url(self, name: str, suffix: str = "") -> str:
        """URL that renders a step (suffix "/input"), carrying the call's state (Twilio signs it).

        The state is filled in when the response is finished (ivr.calls.state.answer): what the
        caller does next starts from the state this whole answer leaves behind.
        """
        return self.url(f"{PREFIX}/{MARK}/voice/step/{name}{suffix}")

    def log(self, step: str, outcome: str | None = None) -> None:
        """Count what call analytics need: a section's first visit in this call, each crisis press.

        Nothing is written per keypress and nothing records one call's path.
        """
        if call_tally.passed(self.call.flags, step, outcome):
            self.effects += 1


def render(ctx: CallContext, name: str, response: VoiceResponse | None = None, depth: int = 0) -> VoiceResponse:
    """Append the named step (and any steps it flows straight into) to a response."""
    response = response if response is not None else VoiceResponse()
    if depth >= MAX_INLINE:
        response.redirect(ctx.step_url(name), method="POST")
        return response
    step = ctx.flows.step(name)
    if step.kind in {"menu", "digits"}:
        _enter(ctx, step)
        ctx.log(step.name)
        _render_prompting(ctx, step, response, reprompt=None)
        return response
    ctx.log(step.name)
    if step.kind == "say":
        voice = ctx.voice
        for prompt_id in step.prompts:
            voice.speak(response, prompt_id)
        if step.hangup:
            response.hangup()
            return response
        return render(ctx, step.next, response, depth + 1)
    # kind == "action"
    if name == CRISIS_STEP and ctx.call.step and ctx.call.step not in CRISIS_STEPS:
        ctx.call.return_step = ctx.call.step
    _enter(ctx, step)
    if not ACTIONS[step.action].pure:
        ctx.effects += 1
    next_step = ACTIONS[step.action].render(ctx, step, response)
    if next_step:
        return render(ctx, next_step, response, depth + 1)
    return response


def handle_input(ctx: CallContext, name: str) -> VoiceResponse:
    """Act on what the caller pressed or said at a step, returning the next TwiML."""
    step = ctx.flows.step(name)
    response = VoiceResponse()
    if (ctx.form.get("Digits") or "").strip() or (ctx.form.get("SpeechResult") or "").strip():
        ctx.call.silences = 0  # any key or word breaks a run of silences
    if step.kind in {"menu", "digits"}:
        _enter(ctx, step)  # the caller is answering this step, whatever we last rendered
    if step.kind == "digits" and not (ctx.form.get("Digits") or "").strip():
        if pound_alone(ctx) and step.back:
            ctx.call.misses = 0
            ctx.log(step.name, "back")
            return render(ctx, step.back, response)
        return miss(ctx, step, response, "no_input")
    if step.kind == "action" or step.kind == "digits":
        handler = ACTIONS[step.action].handle
        ctx.effects += 1
        if handler is None:
            return render(ctx, name, response)
        next_step = handler(ctx, step, response)
        return render(ctx, next_step, response) if next_step else response
    if step.kind != "menu":
        return render(ctx, name, response)
    key = _chosen_key(ctx, step)
    if key == REPEAT_KEY:
        ctx.log(step.name, "repeat")
        _render_prompting(ctx, step, response, reprompt=None, prompt_id=step.all_choices or step.prompt)
        return response
    if key == BACK_KEY and step.back:
        ctx.call.misses = 0
        ctx.log(step.name, "back")
        return render(ctx, step.back, response)
    target = step.keys.get(key) if key else None
    if target is None and key and step.any_key:
        target = step.any_key
    if target is None and not key and step.on_timeout:
        target = step.on_timeout
    if target is None:
        return miss(ctx, step, response, NOT_CAUGHT if key == "?" else ("invalid" if key else "no_input"))
    ctx.call.misses = 0
    ctx.log(step.name, None if step.sensitive else (key or "timeout"))
    return render(ctx, target, response)


def _chosen_key(ctx: CallContext, step: Step) -> str | None:
    digits = (ctx.form.get("Digits") or "").strip()
    if digits:
        return digits[:1] if step.kind == "menu" else digits
    spoken = (ctx.form.get("SpeechResult") or "").lower()
    if spoken:
        return spoken_key(ctx, spoken, step.speech.get(ctx.language, {})) or "?"
    return None


def spoken_key(ctx: CallContext, spoken: str, words: dict[str, str]) -> str | None:
    """The key a spoken answer means: a crisis word always means 0, else the step's own words."""
    heard = spoken.lower().replace(",", " ").replace(".", " ").replace("!", " ").replace("?", " ").split()
    # Every language's crisis words count: "ayuda" at the first-call language menu must not be missed.
    crisis = {word for words in ctx.flows.crisis_words.values() for word in words}
    if any(word in crisis for word in heard):
        return CRISIS_KEY
    for word in heard:
        if word in words:
            return words[word]
    return None


def pound_alone(ctx: CallContext) -> bool:
    """True when a several-digit gather ended on # with nothing keyed: the caller wants to go back."""
    return not (ctx.form.get("Digits") or "").strip() and ctx.form.get("FinishedOnKey") == BACK_KEY


def miss(ctx: CallContext, step: Step, response: VoiceResponse, reason: str = "invalid",
         again=None) -> VoiceResponse:
    """Count a missed answer; never hang up on keys: re-prompt simply, then start again.

    Silence is counted across the whole call; the tenth silence in a row ends the call kindly.
    `again(response)` re-prompts an action's own menu (default: the step's simpler prompt).
    """
    ctx.call.misses = (ctx.call.misses or 0) + 1
    ctx.log(step.name, reason)
    if reason == "no_input":
        ctx.call.silences = (ctx.call.silences or 0) + 1
        if ctx.call.silences >= MAX_SILENCES:
            ctx.call.misses = ctx.call.silences = 0
            return render(ctx, SILENCE_GOODBYE_STEP, response)
    if ctx.call.misses >= START_AGAIN_AFTER:
        ctx.call.misses = 0
        return render(ctx, START_AGAIN_STEP, response)
    if again is None:
        _render_prompting(ctx, step, response, reprompt=reason)
    else:
        ctx.voice.speak(response, reason)
        again(response)
    return response


def _enter(ctx: CallContext, step: Step) -> None:
    if ctx.call.step != step.name:
        ctx.call.misses = 0
    ctx.call.step = step.name


def _render_prompting(ctx: CallContext, step: Step, response: VoiceResponse, reprompt: str | None,
                      prompt_id: str | None = None) -> None:
    """A menu or digits step: its prompt inside a Gather that posts back to the step's input."""
    voice = ctx.voice
    words = step.speech.get(ctx.language, {})
    hints = sorted(set(words) | set(ctx.flows.crisis_words.get(ctx.language, ()))) if words else None
    gather = voice.gather(
        response,
        ctx.step_url(step.name, "/input"),
        speech_hints=hints,
        timeout=step.timeout or ctx.config["GATHER_TIMEOUT"],
        num_digits=1 if step.kind == "menu" else step.num_digits,
        # Menus take # as a key (back), so it must not end the gather.
        finish_on_key=step.finish_on_key if step.kind == "digits" else "",
    )
    if reprompt:
        voice.speak(gather, reprompt)
    prompt_id = prompt_id or (step.simple if (reprompt and step.simple) else step.prompt)
    languages = list(ctx.flows.prompts.languages) if step.all_languages else [ctx.language]
    for lang in languages:
        voice.speak(gather, prompt_id, language=lang)
