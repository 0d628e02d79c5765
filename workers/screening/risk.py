"""Suicide and self-harm risk: C-SSRS/ASQ-style levels, weighed by the words around each hit.

Negation, past tense and third person lower a hit's priority; imminence raises it. Nothing here
removes a hit: every risk reason keeps at least the configured floor.
"""
from __future__ import annotations

from workers.screening.context import certainty, make_reason, near, negated, words_before
from workers.screening.lexicon import Lexicon, RiskSettings, Rule
from workers.screening.matching import Match, Matcher
from workers.screening.types import Reason

Hit = tuple[Rule, Match]


def find_risk(matcher: Matcher, lexicon: Lexicon) -> list[Reason]:
    """Risk reasons in a transcript, one per distinct finding."""
    settings = lexicon.risk_settings
    hits = [(rule, match) for rule in lexicon.risk for match in matcher.find_all(rule.patterns)]
    hits = _outermost(hits)
    past = [(m.first, m.last) for m in matcher.find_all(settings.past_patterns)]
    imminent = [(m.first, m.last) for m in matcher.find_all(settings.imminent_patterns)]
    # Words like "rope" or "bought" only carry full weight beside other risk language; an urgent
    # time ("tonight") counts as such language: "saving my pills ... tonight" is preparation.
    urgent = matcher.find_all(settings.urgent_patterns)
    has_context = any(not rule.needs_context for rule, _ in hits) or bool(urgent)
    return [_reason(rule, match, matcher, settings, has_context, past, imminent) for rule, match in hits]


def _covers(outer: Hit, inner: Hit) -> bool:
    (outer_rule, outer_match), (inner_rule, inner_match) = outer, inner
    if not (outer_match.first <= inner_match.first and inner_match.last <= outer_match.last):
        return False
    if outer_rule.needs_context != inner_rule.needs_context:
        # Supporting evidence never swallows a finding that stands on its own.
        return not outer_rule.needs_context
    return outer_rule.score >= inner_rule.score


def _outermost(hits: list[Hit]) -> list[Hit]:
    """Drop hits that a more telling hit already covers ("kill myself" inside "going to kill myself")."""
    kept: list[Hit] = []
    for index, hit in enumerate(hits):
        covered = any(
            _covers(other, hit) and (not _covers(hit, other) or other_index < index)
            for other_index, other in enumerate(hits)
            if other_index != index
        )
        if not covered:
            kept.append(hit)
    return kept


def _reason(
    rule: Rule, match: Match, matcher: Matcher, s: RiskSettings, has_context: bool,
    past: list[tuple[int, int]], imminent: list[tuple[int, int]],
) -> Reason:
    priority = rule.score
    modifiers: list[str] = []
    if negated(matcher, match, s.negators, s.negation_window):
        priority -= s.negation_penalty
        modifiers.append("negated")
    if _is_past(rule, match, matcher, s, past):
        priority -= s.past_penalty
        modifiers.append("in the past")
    if _about_someone_else(match, matcher, s):
        priority -= s.third_person_penalty
        modifiers.append("about someone else")
    isolated = rule.needs_context and not has_context
    if isolated:
        priority -= s.isolated_penalty
        modifiers.append("no other risk language")
    # "Tonight" makes a plain first-person hit more urgent; it can't rescue an uncertain one.
    if not modifiers and rule.score >= s.imminent_applies_from and near(imminent, match, s.imminent_window):
        priority += s.imminent_bonus
        modifiers.append("soon (imminent)")
    sure, lowest_conf = certainty(matcher, match)
    penalty = round(s.confidence_penalty * (1 - sure))
    if penalty:
        priority -= penalty
        if match.closeness < 1:
            modifiers.append(f"approximate words ({match.closeness:.2f})")
        if lowest_conf < 1:
            modifiers.append(f"recognition confidence {lowest_conf:.2f}")
    return make_reason(
        matcher.tokens, match.first, match.last, category="risk", kind=rule.kind, label=rule.label,
        priority=max(s.floor, min(100, priority)), certainty=sure, modifiers=tuple(modifiers),
    )


def _is_past(rule: Rule, match: Match, matcher: Matcher, s: RiskSettings, past: list[tuple[int, int]]) -> bool:
    if near(past, match, s.past_window):
        return True
    if rule.score >= s.past_applies_below:
        return False
    named = {matcher.keys[p] for p in match.literal_positions}
    before = set(words_before(matcher, match.first, 3))
    return bool((named | before) & s.past_verbs or before & s.past_auxiliaries)


def _about_someone_else(match: Match, matcher: Matcher, s: RiskSettings) -> bool:
    if any(matcher.keys[p] in s.third_person_inside for p in match.literal_positions):
        return True
    # The nearest person word before the hit is its subject: "my friend wanted to die".
    for position in range(match.first - 1, max(-1, match.first - s.third_person_window - 1), -1):
        key = matcher.keys[position]
        if key in s.third_person:
            return True
        if key in s.first_person:
            return False
    return False
