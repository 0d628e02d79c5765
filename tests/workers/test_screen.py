"""workers.screen: a table of transcripts as Vosk would spell them, and the ranking they earn."""
from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from workers.screen import LexiconError, Tier, screen
from workers.screen_cli import screen_command
from workers.screening.lexicon import load_lexicon
from workers.screening.matching import Matcher, Vocabulary
from workers.screening.patterns import PatternError, compile_pattern
from workers.screening.text import similarity, tokenise
from workers.transcribe import Transcript, Word

CRISIS, HIGH, ELEVATED = Tier.CRISIS, Tier.HIGH, Tier.ELEVATED


def kinds(result) -> set[str]:
    """category/kind of every reason."""
    return {f"{r.category}/{r.kind}" for r in result.reasons}


def reason(result, kind: str):
    """The first reason of a category/kind."""
    return next(r for r in result.reasons if f"{r.category}/{r.kind}" == kind)


def spoken(text: str, conf: float = 1.0, step: float = 0.4) -> Transcript:
    """A transcript with Vosk-like timings: one word every `step` seconds."""
    return Transcript.from_words([Word(w, i * step, i * step + step * 0.8, conf) for i, w in enumerate(text.split())])


# (id, transcript, tier, a reason it must carry, modifiers that reason must carry)
TABLE = [
    # C-SSRS ladder and ASQ
    ("distress", "i just can't go on like this", ELEVATED, "risk/distress", ()),
    ("wish-dead", "some days i just want to die", HIGH, "risk/wish_dead", ()),
    ("wish-dead-pattern-negation", "i don't want to live anymore", HIGH, "risk/wish_dead", ()),
    ("burden", "everyone would be better off without me", HIGH, "risk/burden", ()),
    ("burden-2", "i feel like such a burden to my family", HIGH, "risk/burden", ()),
    ("burden-3", "everyone would be happier if i wasn't here", HIGH, "risk/burden", ()),
    ("wish-never-wake", "i just want to go to sleep and never wake up", HIGH, "risk/wish_dead", ()),
    ("wish-hope", "i hope i die in my sleep", HIGH, "risk/wish_dead", ()),
    ("thoughts", "i keep thinking about killing myself", HIGH, "risk/thoughts", ()),
    ("thoughts-cant-stop", "i can't stop thinking about suicide", HIGH, "risk/thoughts", ()),
    ("self-harm", "i started cutting myself again", HIGH, "risk/self_harm", ()),
    ("method-dose", "i've been thinking about taking thirty pills", HIGH, "risk/method", ()),
    ("method-jump", "i think about jumping off the bridge", HIGH, "risk/method", ()),
    ("method-hang", "i thought about how i would hang myself", HIGH, "risk/method", ()),
    ("intent", "i'm going to kill myself", CRISIS, "risk/intent", ()),
    ("intent-imminent", "i'm going to kill myself tonight", CRISIS, "risk/intent", ("soon (imminent)",)),
    ("plan", "i have a plan to end my life", CRISIS, "risk/plan", ()),
    ("plan-how", "i've worked out how i'm going to kill myself", CRISIS, "risk/plan", ()),
    ("attempt-dose", "last night i took thirty paracetamol", CRISIS, "risk/attempt", ()),
    ("attempt-overdose-split", "i took an over dose", CRISIS, "risk/attempt", ()),
    ("preparation-note", "i've written a suicide note", CRISIS, "risk/preparation", ()),
    ("preparation-with-context", "i want to die and i've been saving up my tablets", CRISIS, "risk/preparation", ()),
    # lowered, never suppressed
    ("negated-intent", "i'm not going to kill myself", HIGH, "risk/intent", ("negated",)),
    ("negated-never", "i would never want to die", ELEVATED, "risk/wish_dead", ("negated",)),
    ("past-used-to", "i used to want to die years ago", ELEVATED, "risk/wish_dead", ("in the past",)),
    ("past-attempt", "i tried to kill myself when i was a teenager", HIGH, "risk/attempt", ("in the past",)),
    ("past-auxiliary", "i was suicidal for a while", ELEVATED, "risk/thoughts", ("in the past",)),
    ("third-person", "my friend wanted to die", ELEVATED, "risk/wish_dead", ("about someone else",)),
    ("third-person-reflexive", "he keeps saying he'll kill himself", ELEVATED, "risk/thoughts", ("about someone else",)),
    ("new-clause-not-negated", "i'm not okay i want to die", HIGH, "risk/wish_dead", ()),
    # means words without other risk language: still listed, ranked below every risk tier
    ("means-alone", "we walked over the bridge to the park", Tier.CLEAN, "risk/place", ("no other risk language",)),
    ("bought-alone", "i bought some paracetamol for my headache", Tier.CLEAN, "risk/preparation", ("no other risk language",)),
    # misrecognitions and misspellings
    ("fuzzy-kil", "i feel like i want to kil myself", HIGH, "risk/thoughts", ()),
    ("fuzzy-suicidle", "having suicidle thoughts all week", HIGH, "risk/thoughts", ()),
    ("fuzzy-split-self", "sometimes i want to kill my self", HIGH, "risk/thoughts", ()),
    ("fuzzy-pill-name", "i took forty paracetomol", CRISIS, "risk/attempt", ()),
    # personal details, spoken
    ("phone", "call me on oh seven seven double four five six one two three nine", Tier.PERSONAL_DETAILS, "personal/phone", ()),
    ("phone-tens", "my number is oh one six one four nine six seventy seven double two", Tier.PERSONAL_DETAILS, "personal/phone", ()),
    ("email", "email me at john dot smith at gmail dot com", Tier.PERSONAL_DETAILS, "personal/email", ()),
    ("address", "i live at twenty two baker street", Tier.PERSONAL_DETAILS, "personal/address", ()),
    ("flat", "come round to flat three", Tier.PERSONAL_DETAILS, "personal/address", ()),
    ("name", "hi my name is sarah and i wanted to share", Tier.PERSONAL_DETAILS, "personal/name", ()),
    ("called", "i'm called dave", Tier.PERSONAL_DETAILS, "personal/name", ()),
    # abuse aimed at others
    ("threat", "i know where you live", Tier.ABUSE, "abuse/threat", ()),
    ("threat-2", "if you do that again i'll hurt you", Tier.ABUSE, "abuse/threat", ()),
    ("incitement", "you should just kill yourself", Tier.ABUSE, "abuse/incitement", ()),
    ("harassment", "you're a pathetic loser", Tier.ABUSE, "abuse/harassment", ()),
    ("slur", "he called me a nutter", Tier.ABUSE, "abuse/slur", ()),
    # clean shares
    ("clean", "i went for a walk and felt a bit better today", Tier.CLEAN, None, ()),
    ("clean-plan", "i have a plan for the weekend", Tier.CLEAN, None, ()),
    ("clean-near-words", "the bride walked along the beach", Tier.CLEAN, None, ()),
    ("clean-year", "i was twenty two in nineteen ninety nine", Tier.CLEAN, None, ()),
    ("clean-at-dot-com", "we met at the dot com party", Tier.CLEAN, None, ()),
    ("clean-recovery", "the group helped me take my life back", Tier.CLEAN, None, ()),
    ("meds-alone", "i took my meds this morning", Tier.CLEAN, "risk/preparation", ("no other risk language",)),
    ("two-tablets-alone", "i took two tablets for my headache", Tier.CLEAN, "risk/preparation", ("no other risk language",)),
    ("tablets-with-context", "i wish i was dead and i've got tablets saved up", CRISIS, "risk/preparation", ()),
]


@pytest.mark.parametrize("text, tier, kind, modifiers", [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_screening_table(text, tier, kind, modifiers):
    result = screen(text)
    assert result.tier == tier, [r.describe() for r in result.reasons]
    assert Tier.for_priority(result.priority) == result.tier
    if kind is None:
        assert not result.reasons
    else:
        assert kind in kinds(result)
        assert set(modifiers) <= set(reason(result, kind).modifiers)


@pytest.mark.parametrize(
    "lowered, plain",
    [
        ("i'm not going to kill myself", "i'm going to kill myself"),
        ("i don't think i want to die", "i think i want to die"),
        ("i used to think about killing myself years ago", "i think about killing myself"),
        ("when i was a teenager i tried to kill myself", "i tried to kill myself"),
        ("my brother wants to die", "i want to die"),
        ("she took thirty pills", "i took thirty pills"),
    ],
)
def test_negation_past_and_third_person_lower_but_never_suppress(lowered, plain):
    low, high = screen(lowered), screen(plain)
    assert low.priority < high.priority
    assert any(r.category == "risk" for r in low.reasons)
    assert low.tier >= Tier.ELEVATED


def test_means_and_preparation_words_alone_are_listed_below_the_risk_tiers():
    mention = load_lexicon().risk_settings.mention_floor
    for text in ("i walked over to the bridge", "i took my meds this morning", "i've bought a rope"):
        result = screen(text)
        assert result.priority == mention and result.tier < Tier.ABUSE
        assert all("no other risk language" in r.modifiers for r in result.reasons if r.category == "risk")
    assert screen("i want to die and i've bought a rope").tier == CRISIS
    # A time counts as context: means gathered "for tonight" is preparation at full weight.
    assert screen("i have been saving my pills and i will take them all tonight").tier == CRISIS
    assert screen("i have the pills saved up and i am going to take them tonight").tier == CRISIS


def test_a_crisis_is_never_outranked_by_other_findings():
    result = screen("my name is sam you idiot i'm going to kill myself tonight")
    assert result.tier == CRISIS
    assert result.reasons[0].category == "risk" and result.reasons[0].kind == "intent"
    assert {"personal/name", "abuse/harassment"} <= kinds(result)


def test_several_plain_risk_kinds_rank_higher_within_the_tier():
    alone = screen("i keep thinking about killing myself")
    together = screen("i'm so hopeless i keep thinking about killing myself")
    assert together.tier == alone.tier == HIGH
    assert together.priority > alone.priority


def test_profanity_is_a_note_not_a_risk():
    result = screen("this fucking week was shit but the group helped")
    assert result.tier == Tier.CLEAN and not result.reasons
    assert [(n.word, n.index) for n in result.profanity] == [("fucking", 1), ("shit", 4)]


def test_spoken_personal_details_give_time_spans_to_bleep():
    transcript = spoken("hi my name is sarah my number is oh seven seven double four five six one two three")
    result = screen(transcript)
    name, phone = reason(result, "personal/name"), reason(result, "personal/phone")
    assert name.text == "sarah" and name.words == (4, 5)
    assert phone.text.startswith("oh seven") and phone.words == (8, 18)
    words = transcript.words
    assert result.personal_spans == (
        (words[4].start, words[4].end),
        (words[8].start, words[17].end),
    )


def test_low_confidence_risk_words_still_flag_and_ask_for_listening():
    sure = screen(spoken("i want to kill myself", conf=1.0))
    unsure = screen(spoken("i want to kill myself", conf=0.35))
    assert reason(unsure, "risk/thoughts")
    assert unsure.priority < sure.priority and unsure.tier >= ELEVATED
    assert unsure.needs_listening and not sure.needs_listening
    assert any("confidence" in why for why in unsure.listening_reasons)
    assert reason(unsure, "risk/thoughts").certainty == pytest.approx(0.35)


@pytest.mark.parametrize(
    "source, why",
    [
        (None, "transcription failed"),
        ("", "empty"),
        (Transcript.from_words([]), "empty"),
        ([{"word": "[unk]", "start": 0.0, "end": 0.3, "conf": 0.2}], "empty"),
        (spoken("so um i went to the shop and it was", conf=0.3), "low recognition confidence"),
    ],
    ids=["none", "empty-text", "empty-transcript", "only-unknown", "low-mean-confidence"],
)
def test_empty_failed_or_poorly_recognised_transcripts_need_listening(source, why):
    result = screen(source)
    assert result.needs_listening
    assert result.tier == Tier.NEEDS_LISTENING
    assert any(why in text for text in result.listening_reasons)


def test_accepts_vosk_result_dicts_and_typed_text_with_punctuation():
    vosk_words = [
        {"word": w, "start": i * 0.5, "end": i * 0.5 + 0.4, "conf": 0.95}
        for i, w in enumerate("i have a plan to end my life".split())
    ]
    assert screen(vosk_words).tier == CRISIS
    assert screen({"result": vosk_words, "text": "..."}).tier == CRISIS  # a whole Vosk result
    assert screen(["i", "want", "to", "die"]).tier == HIGH
    typed = screen("Honestly? I’m going to kill myself. Call me: 07700 900123, or john.smith@gmail.com!")
    assert {"risk/intent", "personal/phone", "personal/email"} <= kinds(typed)
    assert screen("I've started to self-harm again.").tier == HIGH


def test_result_serialises_to_json():
    result = screen(spoken("my name is sam and i want to die"))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["tier"] == "high"
    assert data["reasons"][0]["kind"] == "wish_dead"
    assert data["personal_spans"] and data["needs_listening"] is False


def test_tiers_are_ordered_and_banded():
    assert Tier.CRISIS > Tier.HIGH > Tier.ELEVATED > Tier.ABUSE > Tier.NEEDS_LISTENING > Tier.PERSONAL_DETAILS > Tier.CLEAN
    for tier in Tier:
        assert Tier.for_priority(tier.floor) == tier == Tier.for_priority(tier.ceiling)


def test_long_transcripts_screen_quickly():
    text = " ".join(["so i went to the group and we talked about the week and how it felt"] * 100)
    started = time.perf_counter()
    result = screen(spoken(text + " and i want to die"))
    assert time.perf_counter() - started < 2.0
    assert result.tier == HIGH


def test_unknown_language_is_a_clear_error():
    with pytest.raises(LexiconError, match="no screening word list"):
        screen("hello", lang="zz")


# --- the pattern engine -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "heard, listed, matches",
    [
        ("suicidle", "suicidal", True), ("kil", "kill", True), ("paracetomol", "paracetamol", True),
        ("bride", "bridge", True),  # similar in general: word lists mark such words "=exact"
        ("bills", "pills", False), ("the", "they", False), ("robe", "rope", False),
        ("changed", "hanged", False), ("skill", "kill", False), ("dye", "die", False),
        ("pil", "pill", True), ("dad", "dead", False),
    ],
)
def test_similarity(heard, listed, matches):
    assert bool(similarity(heard, listed)) is matches


def _find(pattern: str, text: str, classes=None) -> list[str]:
    exact: set[str] = set()
    compiled = compile_pattern(pattern, classes or {}, exact)
    tokens = tokenise(text)
    matcher = Matcher(tokens, Vocabulary(compiled.literals(), exact))
    return [" ".join(t.text for t in tokens[m.first: m.last + 1]) for m in matcher.find(compiled)]


def test_pattern_syntax():
    assert _find("(going|gonna) (to)? end it all", "i'm gonna end it all") == ["gonna end it all"]
    assert _find("(throw myself|jump) off", "i could throw myself off") == ["throw myself off"]
    assert _find("want *2 die", "i want to just die") == ["want to just die"]
    assert _find("want *1 die", "i want to just die") == []
    assert _find("{n}+ pills", "twenty five pills", {"n": frozenset({"twenty", "five"})}) == ["twenty five pills"]
    assert _find("overdose", "took an over dose") == ["over dose"]
    assert _find("=bridge", "the bride") == [] and _find("bridge", "the bride") == ["bride"]
    assert _find("take my life !back|forward", "take my life back") == []
    assert _find("take my life !back|forward", "take my life") == ["take my life"]
    assert _find("take my life !back|forward", "take my life tonight") == ["take my life"]


@pytest.mark.parametrize(
    "bad", ["(unclosed", "* leading gap", "trailing gap *", "{missing} class", "a | | b", "!not first", "(a !b)"]
)
def test_bad_patterns_are_refused(bad):
    with pytest.raises(PatternError):
        compile_pattern(bad, {})


def test_english_word_lists_compile_and_every_rule_has_patterns():
    lexicon = load_lexicon("en")
    assert lexicon.risk and lexicon.abuse and lexicon.personal.rules
    assert all(rule.patterns for rule in (*lexicon.risk, *lexicon.abuse))
    assert len({rule.kind for rule in lexicon.risk}) >= 9


# --- the command line ---------------------------------------------------------------------------

def test_cli_prints_tier_priority_and_reasons():
    result = CliRunner().invoke(screen_command, ["i have a plan to end my life"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "tier: crisis" and lines[1].startswith("priority: 9")
    assert "risk/plan" in result.output
    assert lines[2] == "families:" and lines[3] == '  method: "a plan to end my life"'


@pytest.mark.parametrize(
    "lang, text, families",
    [
        ("en", "i gave my dog to my sister and tonight i am going to the bridge",
         {"preparation:", "time:", "method:"}),
        ("es", "ya no quiero vivir tengo las pastillas guardadas para esta noche",
         {"ideation:", "preparation:", "time:"}),
    ],
)
def test_cli_prints_the_families_that_fired_in_both_languages(lang, text, families):
    result = CliRunner().invoke(screen_command, ["--lang", lang, text])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("tier: crisis")
    listed = result.output.split("families:")[1].split("reasons:")[0]
    assert families <= {line.split()[0] for line in listed.splitlines() if line.strip()}


def test_cli_says_when_no_family_fired():
    result = CliRunner().invoke(screen_command, ["we watched the fireworks on the bridge tonight"])
    assert "families: none" in result.output and result.output.startswith("tier: clean")


def test_cli_json_and_stdin():
    result = CliRunner().invoke(screen_command, ["--json", "-"], input="i know where you live\n")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["tier"] == "abuse" and data["reasons"][0]["kind"] == "threat"


def test_cli_rejects_unknown_language():
    result = CliRunner().invoke(screen_command, ["--lang", "zz", "hello"])
    assert result.exit_code == 2 and "no screening word list" in result.output
