"""Load and validate the call flows in flows/*.toml.

Flows are data: steps, prompt ids, key -> next step and named actions. Validation runs
at start-up and in the tests, so a broken menu never reaches a caller.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ivr.calls.prompts import Prompts

CRISIS_KEY = "0"
CRISIS_STEP = "crisis"
REPEAT_KEY = "*"
BACK_KEY = "#"
OPTIONS_KEY = "9"
KINDS = {"say", "menu", "digits", "action"}


class FlowError(ValueError):
    """Raised when the flow files are inconsistent; lists every problem found."""


@dataclass(frozen=True)
class Step:
    """One step of a call flow, exactly as the TOML describes it."""

    name: str
    kind: str
    source: str
    prompt: str | None = None
    simple: str | None = None
    prompts: tuple[str, ...] = ()
    keys: dict[str, str] = field(default_factory=dict)
    speech: dict[str, dict[str, str]] = field(default_factory=dict)
    next: str | None = None
    hangup: bool = False
    action: str | None = None
    args: dict = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    any_key: str | None = None
    on_timeout: str | None = None
    all_languages: bool = False
    timeout: int | None = None
    num_digits: int | None = None
    finish_on_key: str | None = None
    sensitive: bool = False
    back: str | None = None  # where pound leads (one level up); every menu has one
    all_choices: str | None = None  # prompt spoken on star when it differs from `prompt`
    menu_prompts: tuple[str, ...] = ()  # prompts an action speaks as a menu (checked by the lint)

    def exits(self) -> list[str]:
        """Every step this one can lead to."""
        out = list(self.keys.values()) + list(self.targets)
        out += [s for s in (self.next, self.any_key, self.on_timeout, self.back) if s]
        return out

    def prompt_ids(self) -> list[str]:
        """Every prompt id this step speaks."""
        return [p for p in (self.prompt, self.simple, self.all_choices) if p] + list(self.prompts) \
            + list(self.menu_prompts)


@dataclass
class FlowSet:
    """All steps of all flows plus the prompt catalogue they speak from."""

    start: str
    steps: dict[str, Step]
    prompts: Prompts
    crisis_words: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def step(self, name: str) -> Step:
        """The named step (KeyError if it does not exist)."""
        return self.steps[name]


_FIELDS = set(Step.__dataclass_fields__) - {"name", "source"}


def load_flows(flows_dir: str | Path, prompts: Prompts) -> FlowSet:
    """Read every flows/*.toml into one FlowSet (not yet validated)."""
    steps: dict[str, Step] = {}
    start = None
    crisis_words: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for path in sorted(Path(flows_dir).glob("*.toml")):
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        if "start" in data:
            if start:
                problems.append(f"{path.name}: a second start step ({data['start']!r})")
            start = data["start"]
        for lang, words in data.get("crisis_words", {}).items():
            crisis_words[lang] = tuple(w.lower() for w in words)
        for name, spec in data.get("steps", {}).items():
            unknown = set(spec) - _FIELDS
            if unknown:
                problems.append(f"{path.name}: step {name!r} has unknown fields {sorted(unknown)}")
                continue
            if name in steps:
                problems.append(f"{path.name}: step {name!r} is already defined in {steps[name].source}")
                continue
            spec = dict(spec)
            for key in ("prompts", "targets", "menu_prompts"):
                if key in spec:
                    spec[key] = tuple(spec[key])
            steps[name] = Step(name=name, source=path.name, **spec)
    if problems:
        raise FlowError("\n".join(problems))
    if not start:
        raise FlowError("no flow file names a start step")
    return FlowSet(start=start, steps=steps, prompts=prompts, crisis_words=crisis_words)


def validate(flows: FlowSet, actions: set[str]) -> None:
    """Check every target, prompt, language, action, the crisis key and reachability."""
    problems: list[str] = []
    steps = flows.steps
    languages = list(flows.prompts.languages)
    if flows.start not in steps:
        problems.append(f"start step {flows.start!r} does not exist")
    for required in (CRISIS_STEP, "start_again", "goodbye_missed"):
        if required not in steps:
            problems.append(f"there is no {required!r} step")
    for step in steps.values():
        where = f"{step.source}: step {step.name!r}"
        if step.kind not in KINDS:
            problems.append(f"{where}: unknown kind {step.kind!r}")
        for target in step.exits():
            if target not in steps:
                problems.append(f"{where}: leads to missing step {target!r}")
        for prompt_id in step.prompt_ids():
            if prompt_id not in flows.prompts:
                problems.append(f"{where}: prompt {prompt_id!r} does not exist")
            else:
                for lang in flows.prompts.missing_languages(prompt_id):
                    problems.append(f"{where}: prompt {prompt_id!r} has no {lang!r} text")
        if step.kind in {"menu", "digits"} and not step.prompt:
            problems.append(f"{where}: a {step.kind} needs a prompt")
        if step.kind == "menu" and step.keys.get(CRISIS_KEY) != CRISIS_STEP:
            problems.append(f"{where}: menu does not offer the crisis key {CRISIS_KEY}")
        if step.kind == "menu" and REPEAT_KEY in step.keys:
            problems.append(f"{where}: {REPEAT_KEY} is reserved for repeating the menu")
        if step.kind == "menu" and BACK_KEY in step.keys:
            problems.append(f"{where}: {BACK_KEY} is reserved for going back (use `back`)")
        if step.kind == "menu" and not step.back:
            problems.append(f"{where}: menu has no `back` step for {BACK_KEY}")
        if OPTIONS_KEY in step.keys and step.keys[OPTIONS_KEY] != "options":
            problems.append(f"{where}: {OPTIONS_KEY} means options and nothing else")
        if step.kind in {"action", "digits"} and step.action not in actions:
            problems.append(f"{where}: action {step.action!r} is not registered")
        if step.kind == "say" and not (step.next or step.hangup):
            problems.append(f"{where}: a say step needs `next` or `hangup = true`")
        for lang, words in step.speech.items():
            if lang not in languages:
                problems.append(f"{where}: speech for unknown language {lang!r}")
            for key in words.values():
                if key not in step.keys:
                    problems.append(f"{where}: speech word leads to unmapped key {key!r}")
        if step.speech:
            for lang in languages:
                if lang not in step.speech:
                    problems.append(f"{where}: no speech words for {lang!r}")
    if not problems:
        problems += [f"{steps[n].source}: step {n!r} is unreachable" for n in _unreachable(flows)]
    if problems:
        raise FlowError("\n".join(problems))


def _unreachable(flows: FlowSet) -> list[str]:
    # Entry points reached from outside the menu tree (Twilio's callbacks, outbound calls)
    # are declared by starting their step name with "entry_".
    seen: set[str] = set()
    todo = [flows.start, CRISIS_STEP, "goodbye_missed", "goodbye", "start_again"]
    todo += [name for name in flows.steps if name.startswith("entry_")]
    while todo:
        name = todo.pop()
        if name in seen or name not in flows.steps:
            continue
        seen.add(name)
        todo.extend(flows.steps[name].exits())
    return sorted(set(flows.steps) - seen)
