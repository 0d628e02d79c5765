"""The replies' words keep to the caller-wording rules the flow lint (issue 10) will enforce: every
menu names the crisis key, speaks at most four other choices and stays under 35 words, in every
language; the storyteller's menu is checked as the caller hears it at its longest (the flow lint
sees its parts one at a time)."""
import re
import tomllib
from pathlib import Path

import pytest

AUDIO = Path(__file__).resolve().parents[2] / "audio"
WORDS = tomllib.loads((AUDIO / "replies.prompts.toml").read_text())
LANGUAGES = ("en", "es")
MENUS = {
    "reply_consent": ["reply_consent"], "reply_consent_simple": ["reply_consent_simple"],
    "reply_disguise": ["reply_disguise"], "reply_disguise_simple": ["reply_disguise_simple"],
    "reply_keys": ["reply_keys"], "my_reply_keys": ["my_reply_keys"],
    "reply_review": ["reply_review"], "reply_review_simple": ["reply_review_simple"],
    "reply_kept_again": ["reply_kept_again"],
    # after a story, one breath: 7, and 8 when there are replies to hear
    "story_reply_offer": ["story_reply_offer"], "story_replies_one": ["story_replies_one"],
    "story_replies_many": ["story_replies_many"],
    "my_stories_ref": ["my_stories_ref"], "my_stories_pin": ["my_stories_pin"],
    # the storyteller's menu at its longest: every choice offered
    "my_story_summary": ["my_story_hear", "my_story_turn_off", "my_story_next", "my_story_back"],
    "my_story_summary_off": ["my_story_hear", "my_story_turn_on", "my_story_next", "my_story_back"],
}
KEY = {"en": re.compile(r"\b(?:press|Press) (\d|pound|star)|(?:^|\. )(\d|Pound) (?:for|to)\b"),
       "es": re.compile(r"\b(?:oprima|Oprima) (?:solo )?(\d|numeral|asterisco)|(?:^|\. )(\d|Numeral) (?:para|también)\b")}


def keys(text: str, language: str) -> list[str]:
    """The keys a prompt offers, in order."""
    return [a or b for a, b in KEY[language].findall(text)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("menu", sorted(MENUS))
def test_every_menu_names_the_crisis_key_and_at_most_four_choices(menu, language):
    text = " ".join(WORDS[part][language] for part in MENUS[menu])
    offered = keys(text, language)
    assert "0" in offered, text
    assert 1 <= len([k for k in offered if k != "0"]) <= 4, (offered, text)
    assert len(text.split()) <= 35, (len(text.split()), text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_prompt_is_over_35_words(language):
    long = {pid: len(spec[language].split()) for pid, spec in WORDS.items() if len(spec[language].split()) > 35}
    assert long == {}


def test_spanish_says_usted_never_tu():
    spanish = " ".join(spec["es"] for spec in WORDS.values()).lower()
    for informal in (" tú ", " tu ", "estás", " tienes", " puedes", " quieres", "bienvenido"):
        assert informal not in f" {spanish} ", informal


def test_the_options_menu_keeps_to_the_rules_with_its_new_choice():
    options = tomllib.loads((AUDIO / "prompts.toml").read_text())
    for pid in ("options", "options_simple"):
        for language in LANGUAGES:
            text = options[pid][language]
            offered = keys(text, language)
            assert "5" in offered and "0" in offered and len(offered) - 1 <= 4, (offered, text)
            assert len(text.split()) <= 35, text
