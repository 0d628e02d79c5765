"""Suicide, self-harm and safety risk: warning-sign families weighed by the words around each hit.

Each rule belongs to a family (ideation, method, preparation, time, burden, ...). Negation, past
tense and third person lower a hit's priority, never below the risk floor; imminence raises it.
Nothing here removes a hit: weak words with no other risk language, a quotation from a song or
film, or a place, time or preparation word in an everyday setting stay listed at the mention
floor, below every risk tier. How families combine into the crisis tier is decided in :func:`crisis_reached`.
"""
from __future__ import annotations

from workers.screening.context import certainty, make_reason, near, negated, words_before
from workers.screening.lexicon import Lexicon, RiskSettings, Rule
from workers.screening.matching import Match, Matcher
from workers.screening.types import Reason

Hit = tuple[Rule, Match]
Spans = list[tuple[int, int]]
#: Modifiers that mean the words are not a plain, present, first-person statement.
DISTANCING = frozenset({"negated", "in the past", "about someone else"})
QUOTED = "quoted from a song, film or story"
EVERYDAY = "everyday setting"
ISOLATED = "no other risk language"
LOWERING = DISTANCING | {QUOTED, EVERYDAY, ISOLATED}


def find_risk(matcher: Matcher, lexicon: Lexicon) -> list[Reason]:
    """Risk reasons in a transcript, one per distinct finding."""
    s = lexicon.risk_settings
    hits = _outermost([(rule, match) for rule in lexicon.risk for match in matcher.find_all(rule.patterns)])
    if not hits:
        return []  # most shares: no need to look for the words that would weigh a hit
    spans = {
        "past": _spans(matcher, s.past_patterns),
        "imminent": _spans(matcher, s.imminent_patterns),
        "fiction": _spans(matcher, s.fiction_patterns),
        "everyday": _spans(matcher, s.everyday_patterns),
    }
    # An urgent time ("tonight") is context enough: "saving my pills ... tonight" is preparation.
    urgent = bool(matcher.find_all(s.urgent_patterns))
    signs = [(rule, match) for rule, match in hits if not rule.support]
    reasons = []
    for rule, match in signs:
        # Context comes from elsewhere in the share: "bought some paracetamol" is one phrase, not two signs.
        has_context = urgent or any(r.family != rule.family and (m.last < match.first or m.first > match.last)
                                    for r, m in signs)
        reasons.append(_reason(rule, match, matcher, s, has_context, spans))
    # A time word is a warning sign only beside risk language that stands (not a mere mention).
    standing = [r.words for r in reasons if r.priority > s.mention_floor]
    for rule, match in hits:
        if rule.support and any(near([(m.first, m.last)], match, s.support_window) for m in _positions(matcher, standing)):
            reasons.append(_reason(rule, match, matcher, s, True, spans))
    return reasons


def _positions(matcher: Matcher, words: list[tuple[int, int]]) -> list[Match]:
    """Token spans of reasons given in the caller's word indices."""
    index = {t.index: p for p, t in reversed(list(enumerate(matcher.tokens)))}
    last = {t.index: p for p, t in enumerate(matcher.tokens)}
    return [Match(None, index[a], last[b - 1], (), 1.0) for a, b in words]  # type: ignore[arg-type]


def crisis_reached(risk: list[Reason], s: RiskSettings) -> bool:
    """True for a plain recent attempt, or plain hits on enough distinct axes (ideation, method, preparation, time)."""
    plain = [r for r in risk if not LOWERING & set(r.modifiers)]
    if any(r.family in s.crisis_alone for r in plain):
        return True
    return len({s.crisis_axes[r.family] for r in plain if r.family in s.crisis_axes}) >= s.crisis_axes_needed


def _spans(matcher: Matcher, patterns) -> Spans:
    return [(m.first, m.last) for m in matcher.find_all(patterns)]


def _covers(outer: Hit, inner: Hit) -> bool:
    (outer_rule, outer_match), (inner_rule, inner_match) = outer, inner
    if not (outer_match.first <= inner_match.first and inner_match.last <= outer_match.last):
        return False
    if outer_rule.family != inner_rule.family:
        return False  # each family's sign stands: "bought a rope" is preparation and a means
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


def _reason(rule: Rule, match: Match, matcher: Matcher, s: RiskSettings, has_context: bool,
            spans: dict[str, Spans]) -> Reason:
    priority = rule.score
    modifiers: list[str] = []
    if negated(matcher, match, s.negators, s.negation_window):
        priority -= s.negation_penalty
        modifiers.append("negated")
    if _is_past(rule, match, matcher, s, spans["past"]):
        priority -= s.past_penalty
        modifiers.append("in the past")
    if rule.others_lower and _about_someone_else(match, matcher, s):
        priority -= s.third_person_penalty
        modifiers.append("about someone else")
    if near(spans["fiction"], match, s.setting_window):
        modifiers.append(QUOTED)
    if rule.family in s.everyday_families and near(spans["everyday"], match, s.setting_window):
        modifiers.append(EVERYDAY)
    if rule.needs_context and not has_context:
        modifiers.append(ISOLATED)
    # "Tonight" makes a plain first-person hit more urgent; it can't rescue an uncertain one.
    if not modifiers and rule.score >= s.imminent_applies_from and near(spans["imminent"], match, s.imminent_window):
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
    distant = bool({QUOTED, EVERYDAY, ISOLATED} & set(modifiers))
    return make_reason(
        matcher.tokens, match.first, match.last, category="risk", kind=rule.kind, label=rule.label,
        priority=s.mention_floor if distant else max(s.floor, min(100, priority)),
        certainty=sure, modifiers=tuple(modifiers), family=rule.family,
    )


def _is_past(rule: Rule, match: Match, matcher: Matcher, s: RiskSettings, past: Spans) -> bool:
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
