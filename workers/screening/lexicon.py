"""Load a language's screening word lists (``<lang>.toml`` beside this module) and compile them."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from workers.screening.matching import Vocabulary
from workers.screening.patterns import EXACT, Pattern, compile_pattern
from workers.screening.text import key_of


@dataclass(frozen=True)
class Rule:
    """A kind of finding and the patterns that reveal it."""

    category: str
    kind: str
    label: str
    score: int
    needs_context: bool  # only full weight when other risk language is present
    patterns: tuple[Pattern, ...]
    family: str = ""  # warning-sign family (risk rules): ideation, method, preparation, time, ...
    support: bool = False  # only reported beside other risk language (times: "tonight")
    others_lower: bool = True  # a third-person subject lowers it (not for abuse at home: "he hits me")


@dataclass(frozen=True)
class RiskSettings:
    """How context words raise or lower a risk hit."""

    floor: int
    negators: frozenset[str]
    negation_window: int
    negation_penalty: int
    past_patterns: tuple[Pattern, ...]
    past_verbs: frozenset[str]
    past_auxiliaries: frozenset[str]
    past_applies_below: int
    past_window: int
    past_penalty: int
    first_person: frozenset[str]
    third_person: frozenset[str]
    third_person_inside: frozenset[str]
    third_person_window: int
    third_person_penalty: int
    imminent_patterns: tuple[Pattern, ...]
    urgent_patterns: tuple[Pattern, ...]
    imminent_window: int
    imminent_bonus: int
    imminent_applies_from: int
    isolated_penalty: int
    confidence_penalty: int
    combination_bonus: int
    mention_floor: int  # doubly distanced, quoted or everyday hits: listed, ranked below every risk tier
    fiction_patterns: tuple[Pattern, ...]
    everyday_patterns: tuple[Pattern, ...]
    everyday_families: frozenset[str]
    setting_window: int
    support_window: int
    crisis_axes: Mapping[str, str]  # family -> axis of the "any two" crisis rule
    crisis_axes_needed: int
    crisis_alone: frozenset[str]  # families that are the crisis tier on their own (a recent attempt)
    crisis_priority: int


@dataclass(frozen=True)
class PersonalSettings:
    """Spoken forms of numbers, e-mail addresses and names."""

    phone_min_digits: int
    digits: frozenset[str]
    teens: frozenset[str]
    tens: frozenset[str]
    multipliers: Mapping[str, int]
    hundreds: frozenset[str]
    fillers: frozenset[str]
    phone_prefixes: frozenset[str]
    email_separators: frozenset[str]
    email_at: frozenset[str]  # the spoken "@": "at", "arroba"
    email_top_levels: frozenset[str]
    email_providers: frozenset[str]
    name_triggers: tuple[Pattern, ...]
    name_start_only: frozenset[str]  # trigger sources that count only at the start
    name_stopwords: frozenset[str]
    name_max_words: int
    scores: Mapping[str, int]  # priority of phone, email and name finds
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Lexicon:
    """Everything screening needs for one language."""

    language: str
    risk: tuple[Rule, ...]
    risk_settings: RiskSettings
    abuse: tuple[Rule, ...]
    abuse_negation_penalty: int
    profanity: frozenset[str]
    personal: PersonalSettings
    vocabulary: Vocabulary


class LexiconError(LookupError):
    """No usable word list for a language."""


@lru_cache(maxsize=None)
def load_lexicon(lang: str = "en") -> Lexicon:
    """Load and compile the word lists for a language (cached)."""
    code = lang.strip().lower()
    if not code.isalpha():
        raise LexiconError(f"not a language code: {lang!r}")
    source = resources.files("workers.screening").joinpath(f"{code}.toml")
    if not source.is_file():
        raise LexiconError(f"no screening word list for {lang!r} (expected workers/screening/{code}.toml)")
    with source.open("rb") as handle:
        data = tomllib.load(handle)
    return _compile(data)


def _keys(words: Any) -> frozenset[str]:
    return frozenset(key_of(str(w)) for w in words)


def _compile(data: Mapping[str, Any]) -> Lexicon:
    exact: set[str] = set()
    classes: dict[str, frozenset[str]] = {}
    for name, words in {**data.get("classes", {}), **data.get("personal_classes", {})}.items():
        keys = set()
        for word in words:
            key = key_of(str(word).removeprefix(EXACT))
            if str(word).startswith(EXACT):
                exact.add(key)
            keys.add(key)
        classes[name] = frozenset(keys)

    def patterns(sources: Any) -> tuple[Pattern, ...]:
        return tuple(compile_pattern(s, classes, exact) for s in sources)

    def rules(category: str, entries: Any) -> tuple[Rule, ...]:
        return tuple(
            Rule(category, e["kind"], e["label"], int(e["score"]), e.get("context") == "required",
                 patterns(e["patterns"]), family=str(e.get("family", "")), support=e.get("context") == "support",
                 others_lower=bool(e.get("others_lower", True)))
            for e in entries
        )

    m = data["modifiers"]
    risk_settings = RiskSettings(
        floor=int(m["risk_floor"]),
        negators=_keys(m["negators"]),
        negation_window=int(m["negation_window"]),
        negation_penalty=int(m["negation_penalty"]),
        past_patterns=patterns(m["past_patterns"]),
        past_verbs=_keys(m["past_verbs"]),
        past_auxiliaries=_keys(m["past_auxiliaries"]),
        past_applies_below=int(m["past_applies_below"]),
        past_window=int(m["past_window"]),
        past_penalty=int(m["past_penalty"]),
        first_person=_keys(m["first_person"]),
        third_person=_keys(m["third_person"]),
        third_person_inside=_keys(m["third_person_inside"]),
        third_person_window=int(m["third_person_window"]),
        third_person_penalty=int(m["third_person_penalty"]),
        imminent_patterns=patterns(m["imminent_patterns"]),
        urgent_patterns=patterns(m["urgent_patterns"]),
        imminent_window=int(m["imminent_window"]),
        imminent_bonus=int(m["imminent_bonus"]),
        imminent_applies_from=int(m["imminent_applies_from"]),
        isolated_penalty=int(m["isolated_penalty"]),
        confidence_penalty=int(m["confidence_penalty"]),
        combination_bonus=int(m["combination_bonus"]),
        mention_floor=int(m["mention_floor"]),
        fiction_patterns=patterns(m["fiction_patterns"]),
        everyday_patterns=patterns(m["everyday_patterns"]),
        everyday_families=_keys(m["everyday_families"]),
        setting_window=int(m["setting_window"]),
        support_window=int(m["support_window"]),
        crisis_axes={str(k): str(v) for k, v in m["crisis_axes"].items()},
        crisis_axes_needed=int(m["crisis_axes_needed"]),
        crisis_alone=_keys(m["crisis_alone"]),
        crisis_priority=int(m["crisis_priority"]),
    )
    p = data["personal"]
    start_only = {s for s in p.get("name_trigger_start_only", [])}
    personal = PersonalSettings(
        phone_min_digits=int(p["phone_min_digits"]),
        digits=_keys(p["digits"]),
        teens=_keys(p["teens"]),
        tens=_keys(p["tens"]),
        multipliers={key_of(k): int(v) for k, v in p["multipliers"].items()},
        hundreds=_keys(p["hundreds"]),
        fillers=_keys(p["fillers"]),
        phone_prefixes=_keys(p["phone_prefixes"]),
        email_separators=_keys(p["email_separators"]),
        email_at=_keys(p.get("email_at", ["at"])),
        email_top_levels=_keys(p["email_top_levels"]),
        email_providers=_keys(p["email_providers"]),
        name_triggers=patterns(p["name_triggers"]),
        name_start_only=frozenset(start_only),
        name_stopwords=_keys(p["name_stopwords"]),
        name_max_words=int(p["name_max_words"]),
        scores={str(k): int(v) for k, v in p["scores"].items()},
        rules=rules("personal", data.get("personal_rule", [])),
    )
    risk = rules("risk", data["risk"])
    abuse = rules("abuse", data.get("abuse", []))
    every_pattern = [pat for rule in (*risk, *abuse, *personal.rules) for pat in rule.patterns]
    every_pattern += [*risk_settings.past_patterns, *risk_settings.imminent_patterns, *risk_settings.urgent_patterns,
                      *risk_settings.fiction_patterns, *risk_settings.everyday_patterns, *personal.name_triggers]
    vocabulary = Vocabulary({w for pat in every_pattern for w in pat.literals()}, exact)
    return Lexicon(
        language=str(data.get("language", "")),
        risk=risk,
        risk_settings=risk_settings,
        abuse=abuse,
        abuse_negation_penalty=int(data.get("abuse_modifiers", {}).get("negation_penalty", 0)),
        profanity=_keys(data.get("profanity", {}).get("words", [])),
        personal=personal,
        vocabulary=vocabulary,
    )
