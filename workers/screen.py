"""Screen a voice share's transcript for moderators: rank it, explain why, find what to bleep.

Screening ranks; it never publishes or rejects. Anything empty, failed or poorly recognised is
marked for a person to listen to. The word lists live in ``workers/screening/<lang>.toml``.

    >>> result = screen("i keep thinking about killing myself")
    >>> result.tier.label, result.priority
    ('high', 65)
"""
from __future__ import annotations

from typing import Any

from workers.screening.abuse import find_abuse, find_profanity
from workers.screening.lexicon import Lexicon, LexiconError, load_lexicon
from workers.screening.matching import Matcher
from workers.screening.text import tokenise
from workers.screening.personal import find_personal
from workers.screening.risk import LOWERING, crisis_reached, find_risk
from workers.screening.types import Note, Reason, Screening, Tier, Token

DEFAULT_MIN_MEAN_CONF = 0.6
DEFAULT_LOW_WORD_CONF = 0.5
# A risk finding heard this uncertainly needs ears, not just eyes on the transcript.
RISK_CERTAINTY_TO_LISTEN = 0.6
NEEDS_LISTENING_PRIORITY = 25


def screen(
    source: Any,
    *,
    lang: str = "en",
    min_mean_conf: float = DEFAULT_MIN_MEAN_CONF,
    low_word_conf: float = DEFAULT_LOW_WORD_CONF,
) -> Screening:
    """Screen plain text, a Transcript, or Vosk-style words (None means transcription failed)."""
    lexicon = load_lexicon(lang)
    tokens = tokenise(source)
    matcher = Matcher(tokens, lexicon.vocabulary)
    risk = find_risk(matcher, lexicon)
    reasons = sorted(
        [*risk, *find_abuse(matcher, lexicon), *find_personal(matcher, lexicon)],
        key=lambda r: (-r.priority, r.words),
    )
    listening = _listening_reasons(source, tokens, risk, min_mean_conf, low_word_conf)
    priority = _priority(reasons, risk, lexicon, bool(listening))
    return Screening(
        tier=Tier.for_priority(priority),
        priority=priority,
        reasons=tuple(reasons),
        personal_spans=_spans(r for r in reasons if r.category == "personal"),
        profanity=tuple(find_profanity(tokens, lexicon)),
        needs_listening=bool(listening),
        listening_reasons=tuple(listening),
    )


def _priority(reasons: list[Reason], risk: list[Reason], lexicon: Lexicon, needs_listening: bool) -> int:
    top = max((r.priority for r in reasons), default=0)
    if needs_listening:
        top = max(top, NEEDS_LISTENING_PRIORITY)
    # Crisis-line practice: two of ideation / method or place / preparation / time, or a recent
    # attempt, is the crisis tier whatever each sign weighs alone.
    if crisis_reached(risk, lexicon.risk_settings):
        top = max(top, lexicon.risk_settings.crisis_priority)
    # Several distinct, plainly stated risk kinds (a wish and a method, say) outrank one alone,
    # but only within the tier: the tier itself follows the highest screener level reached.
    plain_kinds = {r.kind for r in risk if not LOWERING & set(r.modifiers)}
    if len(plain_kinds) > 1 and risk and top == max(r.priority for r in risk):
        bonus = lexicon.risk_settings.combination_bonus * (len(plain_kinds) - 1)
        top = min(top + bonus, Tier.for_priority(top).ceiling)
    return top


def _listening_reasons(
    source: Any, tokens: list[Token], risk: list[Reason], min_mean_conf: float, low_word_conf: float
) -> list[str]:
    if source is None:
        return ["no transcript: transcription failed or did not run"]
    if not tokens:
        return ["nothing was recognised: the transcript is empty"]
    why = []
    mean = sum(t.conf for t in tokens) / len(tokens)
    if mean < min_mean_conf:
        why.append(f"low recognition confidence (mean {mean:.2f} < {min_mean_conf:.2f})")
    low = sum(t.conf < low_word_conf for t in tokens)
    if len(tokens) >= 5 and low / len(tokens) > 0.4:
        why.append(f"{low} of {len(tokens)} words recognised with confidence under {low_word_conf:.2f}")
    if any(r.certainty < RISK_CERTAINTY_TO_LISTEN for r in risk):
        why.append("risk words were recognised uncertainly: listen to confirm")
    return why


def _spans(reasons: Any) -> tuple[tuple[float, float], ...]:
    timed = sorted((r.start_s, r.end_s) for r in reasons if r.start_s is not None and r.end_s is not None)
    merged: list[tuple[float, float]] = []
    for start, end in timed:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


__all__ = ["LexiconError", "Note", "Reason", "Screening", "Tier", "load_lexicon", "screen"]
