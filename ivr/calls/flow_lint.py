"""The flow lint: every step of flows/*.toml, in every language, keeps the caller rules.

Each menu prompt and re-prompt names the crisis key, says at most four choices, and every menu
answers star (repeat) and pound (back); no prompt is over 35 words. Run by the tests and by
`peerline flows lint`. The rules come from audio/STYLE.md and the key map in the README.
"""
from __future__ import annotations

import re
from collections import defaultdict

from ivr.calls.flow import FlowSet, Step

MAX_WORDS = 35
MAX_CHOICES = 4  # besides the crisis key
SAMPLE_VALUES = defaultdict(lambda: "X", crisis_number="988", crisis_number_slow="9, 8, 8", reference="1, 2, 3")
_CRISIS = re.compile(r"(?<![\d,])0(?!\d)|\bzero\b|\bcero\b", re.IGNORECASE)
_DIGIT = re.compile(r"(?<![\d{])\b[1-9]\b(?![\d}])")
_NAMED_KEYS = {"star": "*", "pound": "#", "asterisco": "*", "numeral": "#"}


def sample_text(flows: FlowSet, prompt_id: str, language: str) -> str:
    """A prompt's words with its placeholders filled by sample values."""
    template = flows.prompts.table[prompt_id][language]
    return template.format_map(SAMPLE_VALUES)


def names_crisis_key(text: str) -> bool:
    """True when the words name the crisis key (0)."""
    return bool(_CRISIS.search(text))


def choices(text: str) -> set[str]:
    """The keys a prompt offers, besides the crisis key."""
    keys = set(_DIGIT.findall(text))
    for word in re.findall(r"[a-záéíóú]+", text.lower()):
        if word in _NAMED_KEYS:
            keys.add(_NAMED_KEYS[word])
    return keys


def word_count(text: str) -> int:
    """Words as a listener hears them (a spelled-out number counts once per digit)."""
    return len(text.split())


def menu_prompts(step: Step) -> list[tuple[str, bool]]:
    """(prompt id, counts toward the four-choice limit) for every menu prompt and re-prompt of a step."""
    if step.kind == "menu":
        out = [(p, True) for p in (step.prompt, step.simple) if p]
    elif step.kind == "digits":
        out = [(step.prompt, True)] if step.prompt else []
    else:
        out = [(p, True) for p in step.menu_prompts]
    if step.all_choices:
        out.append((step.all_choices, False))  # star's list of every choice (KEYMAP.md)
    return out


def lint(flows: FlowSet) -> list[str]:
    """Every problem found, as readable lines (empty when the flows are clean)."""
    problems: list[str] = []
    languages = list(flows.prompts.languages)
    for step in flows.steps.values():
        where = f"{step.source}: step {step.name!r}"
        is_menu = step.kind == "menu" or bool(step.menu_prompts)
        if is_menu and not step.back:
            problems.append(f"{where}: no `back` step, so pound does not go back")
        for prompt_id, limited in menu_prompts(step):
            for lang in languages:
                text = sample_text(flows, prompt_id, lang)
                if not names_crisis_key(text):
                    problems.append(f"{where} [{lang}]: {prompt_id!r} does not name the crisis key 0")
                offered = choices(text)
                if limited and len(offered) > MAX_CHOICES:
                    problems.append(f"{where} [{lang}]: {prompt_id!r} offers {len(offered)} choices "
                                    f"({' '.join(sorted(offered))}); at most {MAX_CHOICES}")
    for prompt_id in sorted(flows.prompts.table):
        for lang in languages:
            if not flows.prompts.table[prompt_id].get(lang):
                continue
            words = word_count(sample_text(flows, prompt_id, lang))
            if words > MAX_WORDS:
                problems.append(f"prompt {prompt_id!r} [{lang}]: {words} words; at most {MAX_WORDS}")
    return problems


def summary(flows: FlowSet) -> str:
    """One line saying what the lint walked."""
    menus = sum(1 for s in flows.steps.values() if menu_prompts(s))
    return (f"{len(flows.steps)} steps ({menus} with menus), {len(flows.prompts.table)} prompts, "
            f"languages {', '.join(flows.prompts.languages)}")
