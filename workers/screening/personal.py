"""Personal details as speech recognisers spell them: spoken phone numbers, e-mails, addresses, names."""
from __future__ import annotations

from workers.screening.context import make_reason, merge_spans
from workers.screening.lexicon import Lexicon, PersonalSettings
from workers.screening.matching import Matcher
from workers.screening.types import Reason

PHONE = ("phone", "phone number (spoken digits)")
EMAIL = ("email", "e-mail address")
NAME = ("name", "name")
# Words that sit before "at" without being the local part of an address ("we met at ...").
_NOT_LOCAL_PART = frozenset(
    "i me we us you him her them it is am are was were be been met meet look looked stay stayed "
    "live lived work worked home here there arrived".split()
)


def find_personal(matcher: Matcher, lexicon: Lexicon) -> list[Reason]:
    """Personal-detail reasons, overlapping finds of one kind merged into one span."""
    p = lexicon.personal
    found: dict[tuple[str, str], list[tuple[int, int]]] = {
        PHONE: _phone_numbers(matcher.keys, p),
        EMAIL: _emails(matcher.keys, p),
        NAME: _names(matcher, p),
    }
    for rule in p.rules:
        found.setdefault((rule.kind, rule.label), []).extend((m.first, m.last) for m in matcher.find_all(rule.patterns))
    scores = {**p.scores, **{rule.kind: rule.score for rule in p.rules}}
    reasons = []
    for (kind, label), spans in found.items():
        for first, last in merge_spans(spans):
            conf = min(t.conf for t in matcher.tokens[first: last + 1])
            reasons.append(make_reason(
                matcher.tokens, first, last, category="personal", kind=kind, label=label,
                priority=scores[kind], certainty=conf,
            ))
    return reasons


def _digit_count(keys: list[str], i: int, p: PersonalSettings) -> tuple[int, int]:
    """(digits said, tokens used) for a number word at position i; (0, 0) if it is not one."""
    key = keys[i]
    following = keys[i + 1] if i + 1 < len(keys) else ""
    if key.isdigit():
        return len(key), 1
    if key in p.digits:
        return 1, 1
    if key in p.multipliers and (following in p.digits or following.isdigit()):
        return p.multipliers[key] * max(1, len(following)), 2  # "double four" is 44
    if key in p.teens:
        return 2, 1
    if key in p.tens:
        # "seventy seven" is two digits, not three.
        return (2, 2) if following in p.digits and following not in ("zero", "oh", "o", "nought") else (2, 1)
    return 0, 0


def _phone_numbers(keys: list[str], p: PersonalSettings) -> list[tuple[int, int]]:
    spans = []
    i = 0
    while i < len(keys):
        start = i - 1 if i > 0 and keys[i - 1] in p.phone_prefixes else i
        digits, j, last = 0, i, -1
        while j < len(keys):
            count, used = _digit_count(keys, j, p)
            if count:
                digits, last, j = digits + count, j + used - 1, j + used
            elif digits and keys[j] in p.hundreds:
                digits, last, j = digits + 2, j, j + 1
            elif digits and keys[j] in p.fillers and j + 1 < len(keys) and _digit_count(keys, j + 1, p)[0]:
                j += 1
            else:
                break
        if digits >= p.phone_min_digits:
            spans.append((start, last))
        i = max(j, i + 1)
    return spans


def _emails(keys: list[str], p: PersonalSettings) -> list[tuple[int, int]]:
    spans = []
    for i, key in enumerate(keys):
        if "@" in key and "." in key.rsplit("@", 1)[1]:
            spans.append((i, i))
            continue
        if key not in p.email_at or i == 0 or i + 1 >= len(keys) or keys[i - 1] in _NOT_LOCAL_PART:
            continue
        # Domain: a word, then ("dot" word)*; it counts with a known provider or a top-level domain.
        last, k, known = i + 1, i + 2, keys[i + 1] in p.email_providers
        while k + 1 < len(keys) and keys[k] in p.email_separators and keys[k + 1] not in p.email_separators:
            known = known or keys[k + 1] in p.email_top_levels
            last, k = k + 1, k + 2
        if not known:
            continue
        # Local part: words joined by "dot", "underscore" and the like, read backwards from "at".
        first = i - 1
        while first >= 2 and keys[first - 1] in p.email_separators:
            first -= 2
        spans.append((first, last))
    return spans


def _names(matcher: Matcher, p: PersonalSettings) -> list[tuple[int, int]]:
    spans = []
    for trigger in p.name_triggers:
        for match in matcher.find(trigger):
            if trigger.source in p.name_start_only and match.first > 3:
                continue  # "this is" introduces a name only when a share opens with it
            first = match.last + 1
            last = first - 1
            while (
                last + 1 < len(matcher.keys)
                and last + 1 - first < p.name_max_words
                and matcher.keys[last + 1].isalpha()
                and matcher.keys[last + 1] not in p.name_stopwords
            ):
                last += 1
            if last >= first:
                spans.append((first, last))
    return spans
