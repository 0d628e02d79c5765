"""The prompt catalogue: every word a caller hears, per language, from audio/*.toml."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Language:
    """A language Peerline speaks and how Twilio should speak and hear it."""

    code: str
    name: str
    say: str
    voice: str
    gather: str


class PromptError(KeyError):
    """Raised for an unknown prompt id or a prompt missing in a language."""


class Prompts:
    """Prompt texts and optional recordings, keyed by prompt id and language."""

    def __init__(self, audio_dir: str | Path):
        self.audio_dir = Path(audio_dir)
        with open(self.audio_dir / "languages.toml", "rb") as fh:
            self.languages = {
                code: Language(code=code, **spec) for code, spec in tomllib.load(fh).items()
            }
        self.table: dict[str, dict] = {}
        for path in sorted(self.audio_dir.glob("*prompts.toml")):
            with open(path, "rb") as fh:
                for prompt_id, spec in tomllib.load(fh).items():
                    if prompt_id in self.table:
                        raise PromptError(f"prompt {prompt_id!r} defined twice ({path.name})")
                    self.table[prompt_id] = spec

    def __contains__(self, prompt_id: str) -> bool:
        return prompt_id in self.table

    def missing_languages(self, prompt_id: str) -> list[str]:
        """Languages in which this prompt has no text."""
        spec = self.table.get(prompt_id, {})
        return [code for code in self.languages if not spec.get(code)]

    def text(self, prompt_id: str, language: str, **values) -> str:
        """The prompt's words in a language, with placeholders filled in."""
        try:
            template = self.table[prompt_id][language]
        except KeyError as exc:
            raise PromptError(f"no prompt {prompt_id!r} in {language!r}") from exc
        return template.format(**values) if values else template

    def recording(self, prompt_id: str, language: str) -> str | None:
        """File name of a recording to play instead of speech, if one is configured and present."""
        name = self.table.get(prompt_id, {}).get("audio", {}).get(language)
        if name and (self.audio_dir / "prompts" / name).is_file():
            return name
        return None
