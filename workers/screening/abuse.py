"""Abuse aimed at other people (threats, incitement, insults, slurs) and profanity notes."""
from __future__ import annotations

from workers.screening.context import certainty, make_reason, negated
from workers.screening.lexicon import Lexicon
from workers.screening.matching import Matcher
from workers.screening.types import Note, Reason, Token, Tier

NEGATION_WINDOW = 4


def find_abuse(matcher: Matcher, lexicon: Lexicon) -> list[Reason]:
    """Abuse reasons; a negated threat ("i would never hurt you") ranks lower but stays listed."""
    negators = lexicon.risk_settings.negators
    reasons = []
    for rule in lexicon.abuse:
        for match in matcher.find_all(rule.patterns):
            priority, modifiers = rule.score, ()
            if negated(matcher, match, negators, NEGATION_WINDOW):
                priority -= lexicon.abuse_negation_penalty
                modifiers = ("negated",)
            sure, _ = certainty(matcher, match)
            reasons.append(make_reason(
                matcher.tokens, match.first, match.last, category="abuse", kind=rule.kind,
                label=rule.label, priority=max(Tier.ABUSE.floor, priority), certainty=sure, modifiers=modifiers,
            ))
    return reasons


def find_profanity(tokens: list[Token], lexicon: Lexicon) -> list[Note]:
    """Profane words, exactly as listed: a note for publishing, not a risk."""
    return [Note(t.text, t.index, t.start, t.end) for t in tokens if t.key in lexicon.profanity]
