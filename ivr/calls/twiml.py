"""The one place that sets voice, language and content type on what callers hear."""
from __future__ import annotations

from flask import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.calls.prompts import Prompts

CONTENT_TYPE = "text/xml; charset=utf-8"


def twiml(response: VoiceResponse, fill: dict[str, str] | None = None) -> Response:
    """Wrap a VoiceResponse as an HTTP response Twilio accepts (`fill`: marks to replace, e.g. call state)."""
    body = str(response)
    for mark, value in (fill or {}).items():
        body = body.replace(mark, value)
    return twiml_text(body)


def twiml_text(body: str) -> Response:
    """An HTTP response carrying TwiML already made text."""
    return Response(body, status=200, content_type=CONTENT_TYPE)


def slow_digits(number: str) -> str:
    """Spell a phone number digit by digit with pauses, so it can be written down."""
    return ", ".join(ch for ch in number if ch.isdigit()) or number


class Voice:
    """Speaks prompts in one language: a recording when there is one, else text-to-speech."""

    def __init__(self, prompts: Prompts, language: str, base_url: str, values: dict | None = None):
        self.prompts = prompts
        self.language = language
        self.base_url = base_url
        self.values = values or {}

    def speak(self, parent: VoiceResponse | Gather, prompt_id: str, language: str | None = None, **values) -> None:
        """Append one prompt to a response or gather, in this voice's language unless told."""
        lang = language or self.language
        recording = self.prompts.recording(prompt_id, lang)
        if recording:
            parent.play(f"{self.base_url}/audio/prompts/{recording}")
            return
        self.say_text(parent, self.prompts.text(prompt_id, lang, **{**self.values, **values}), lang)

    def say_text(self, parent: VoiceResponse | Gather, text: str, language: str | None = None) -> None:
        """Append free text (already in the caller's language) as speech."""
        spec = self.prompts.languages[language or self.language]
        parent.say(text, voice=spec.voice, language=spec.say)

    def gather(self, parent: VoiceResponse, action: str, *, speech_hints: list[str] | None = None,
               timeout: int = 6, num_digits: int | None = 1, finish_on_key: str | None = None) -> Gather:
        """Append a <Gather> posting to `action`; speech is accepted when hints are given."""
        spec = self.prompts.languages[self.language]
        kwargs = {
            "action": action,
            "method": "POST",
            "timeout": timeout,
            "action_on_empty_result": True,
        }
        if num_digits:
            kwargs["num_digits"] = num_digits
        if finish_on_key is not None:
            kwargs["finish_on_key"] = finish_on_key
        if speech_hints:
            # twilio-python renders lists as Python reprs: pass plain strings.
            kwargs.update(input="dtmf speech", hints=", ".join(speech_hints),
                          language=spec.gather, speech_timeout="auto")
        else:
            kwargs["input"] = "dtmf"
        return parent.gather(**kwargs)
