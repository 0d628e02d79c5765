"""The flow engine: renders a step as TwiML and turns a caller's input into the next step."""
from __future__ import annotations

from dataclasses import dataclass, field

from twilio.twiml.voice_response import VoiceResponse

from ivr.actions.registry import ACTIONS
from ivr.extensions import db
from ivr.flow import CRISIS_STEP, REPEAT_KEY, FlowSet, Step
from ivr.models import Call, Caller, CallStep
from ivr.twiml import Voice, slow_digits

MAX_MISSES = 3  # the third miss ends the call kindly
MAX_INLINE = 6  # steps rendered into one response before we hand over with a <Redirect>


def crisis_values(config) -> dict:
    """The crisis number for prompts: as dialled, and spelled out slowly enough to write down."""
    number = config["CRISIS_NUMBER"] or config["CRISIS_SPOKEN_NUMBER"]
    return {"crisis_number": number, "crisis_number_slow": slow_digits(number)}


@dataclass
class CallContext:
    """Everything a step or action needs about the call in progress."""

    call: Call
    flows: FlowSet
    config: dict
    form: dict = field(default_factory=dict)

    @property
    def caller(self) -> Caller | None:
        """The known caller, or None when caller ID was withheld."""
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
        """URL that renders a step (suffix "/input" for the step's input handler)."""
        return self.url(f"/voice/step/{name}{suffix}")

    def log(self, step: str, outcome: str | None = None) -> None:
        """Record the step this call passed through (never digits of a sensitive step)."""
        db.session.add(CallStep(call_id=self.call.id, step=step, outcome=outcome))


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
    if name == CRISIS_STEP and ctx.call.step and ctx.call.step != CRISIS_STEP:
        ctx.call.return_step = ctx.call.step
    _enter(ctx, step)
    next_step = ACTIONS[step.action].render(ctx, step, response)
    if next_step:
        return render(ctx, next_step, response, depth + 1)
    return response


def handle_input(ctx: CallContext, name: str) -> VoiceResponse:
    """Act on what the caller pressed or said at a step, returning the next TwiML."""
    step = ctx.flows.step(name)
    response = VoiceResponse()
    if step.kind in {"menu", "digits"}:
        _enter(ctx, step)  # the caller is answering this step, whatever we last rendered
    if step.kind == "digits" and not (ctx.form.get("Digits") or "").strip():
        return miss(ctx, step, response, "no_input")
    if step.kind == "action" or step.kind == "digits":
        handler = ACTIONS[step.action].handle
        if handler is None:
            return render(ctx, name, response)
        next_step = handler(ctx, step, response)
        return render(ctx, next_step, response) if next_step else response
    if step.kind != "menu":
        return render(ctx, name, response)
    key = _chosen_key(ctx, step)
    if key == REPEAT_KEY:
        ctx.log(step.name, "repeat")
        _render_prompting(ctx, step, response, reprompt=None)
        return response
    target = step.keys.get(key) if key else None
    if target is None and key and step.any_key:
        target = step.any_key
    if target is None and not key and step.on_timeout:
        target = step.on_timeout
    if target is None:
        return miss(ctx, step, response, "invalid" if key else "no_input")
    ctx.call.misses = 0
    ctx.log(step.name, None if step.sensitive else (key or "timeout"))
    return render(ctx, target, response)


def _chosen_key(ctx: CallContext, step: Step) -> str | None:
    digits = (ctx.form.get("Digits") or "").strip()
    if digits:
        return digits[:1] if step.kind == "menu" else digits
    spoken = (ctx.form.get("SpeechResult") or "").lower()
    if spoken:
        words = step.speech.get(ctx.language, {})
        for word in spoken.replace(",", " ").replace(".", " ").split():
            if word in words:
                return words[word]
        return "?"  # heard something, but not a choice: counts as invalid
    return None


def miss(ctx: CallContext, step: Step, response: VoiceResponse, reason: str = "invalid") -> VoiceResponse:
    """Count a missed or invalid answer: re-prompt simply, and after the third miss say goodbye."""
    ctx.call.misses = (ctx.call.misses or 0) + 1
    ctx.log(step.name, reason)
    if ctx.call.misses >= MAX_MISSES:
        ctx.call.misses = 0
        return render(ctx, "goodbye_missed", response)
    _render_prompting(ctx, step, response, reprompt=reason)
    return response


def _enter(ctx: CallContext, step: Step) -> None:
    if ctx.call.step != step.name:
        ctx.call.misses = 0
    ctx.call.step = step.name


def _render_prompting(ctx: CallContext, step: Step, response: VoiceResponse, reprompt: str | None) -> None:
    """A menu or digits step: its prompt inside a Gather that posts back to the step's input."""
    voice = ctx.voice
    hints = sorted(step.speech.get(ctx.language, {})) or None
    gather = voice.gather(
        response,
        ctx.step_url(step.name, "/input"),
        speech_hints=hints,
        timeout=step.timeout or ctx.config["GATHER_TIMEOUT"],
        num_digits=1 if step.kind == "menu" else step.num_digits,
        # A menu that maps # takes it as a key: Twilio would otherwise swallow it as "done".
        finish_on_key=step.finish_on_key if step.kind == "digits" else ("" if "#" in step.keys else None),
    )
    if reprompt:
        voice.speak(gather, reprompt)
    prompt_id = step.simple if (reprompt and step.simple) else step.prompt
    languages = list(ctx.flows.prompts.languages) if step.all_languages else [ctx.language]
    for lang in languages:
        voice.speak(gather, prompt_id, language=lang)
