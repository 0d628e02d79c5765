"""The public screening table (screening_cases.tsv): recall per tier, crisis precision, false alarms.

The table was written from the published warning-sign lists (988 Lifeline and AFSP warning signs,
C-SSRS screener items, ASQ, IS PATH WARM) before the word lists were tuned, the way Vosk prints
text: lowercase, no punctuation, some misrecognised words. Labels: crisis, concern, personal, none.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from workers.screen import Tier, screen

TABLE = Path(__file__).with_name("screening_cases.tsv")
LABELS = ("crisis", "concern", "personal", "none")
# The floors.
MIN_RISK_RECALL = 0.97  # crisis + concern rows ranked elevated or above
MIN_CRISIS_IN_CRISIS = 0.85  # crisis rows ranked in the crisis tier
MAX_FALSE_ALARMS = 0.10  # "none" rows ranked elevated or above


def _rows() -> list[dict]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _rate(hits: int, total: int) -> float:
    return hits / total if total else float("nan")


def figures(rows: list[dict]) -> dict[str, float]:
    """Recall per tier, crisis-tier precision and false-alarm rate for screened rows."""
    by = {label: [r for r in rows if r["label"] == label] for label in LABELS}
    risky = by["crisis"] + by["concern"]
    in_crisis = [r for r in rows if r["tier"] >= Tier.CRISIS]
    return {
        "rows": len(rows),
        "crisis+concern recall (elevated or above)": _rate(sum(r["tier"] >= Tier.ELEVATED for r in risky), len(risky)),
        "crisis rows in the crisis tier": _rate(sum(r["tier"] >= Tier.CRISIS for r in by["crisis"]), len(by["crisis"])),
        "crisis rows at high or above": _rate(sum(r["tier"] >= Tier.HIGH for r in by["crisis"]), len(by["crisis"])),
        "concern rows elevated or above": _rate(sum(r["tier"] >= Tier.ELEVATED for r in by["concern"]), len(by["concern"])),
        "personal rows with a personal detail": _rate(
            sum(any(x.category == "personal" for x in r["result"].reasons) for r in by["personal"]), len(by["personal"])),
        "crisis-tier precision": _rate(sum(r["label"] == "crisis" for r in in_crisis), len(in_crisis)),
        "false alarms on none rows": _rate(sum(r["tier"] >= Tier.ELEVATED for r in by["none"]), len(by["none"])),
    }


@pytest.fixture(scope="module")
def screened() -> list[dict]:
    rows = _rows()
    for row in rows:
        row["result"] = screen(row["text"], lang=row["language"])
        row["tier"] = row["result"].tier
    return rows


def test_table_is_large_balanced_and_well_formed(screened):
    assert len(screened) >= 200
    assert {r["label"] for r in screened} == set(LABELS)
    for lang in ("en", "es"):
        labels = [r["label"] for r in screened if r["language"] == lang]
        assert all(labels.count(label) >= 5 for label in LABELS), lang
    for row in screened:
        assert row["text"] == row["text"].lower() and not any(ch in row["text"] for ch in ".,!?;:"), row["text"]
    assert len({r["text"] for r in screened}) == len(screened)


def test_table_figures_meet_the_floors(screened):
    overall = figures(screened)
    for scope, rows in (("all", screened), *((lang, [r for r in screened if r["language"] == lang]) for lang in ("en", "es"))):
        print(f"\n[{scope}]")
        for name, value in figures(rows).items():
            print(f"  {name}: {value if name == 'rows' else f'{value:.3f}'}")
    misses = [f"{r['label']}/{r['language']} -> {r['tier'].label}: {r['text']}" for r in screened
              if (r["label"] == "crisis" and r["tier"] < Tier.CRISIS)
              or (r["label"] == "concern" and r["tier"] < Tier.ELEVATED)
              or (r["label"] == "none" and r["tier"] >= Tier.ELEVATED)]
    print("\nmisses and false alarms:\n  " + "\n  ".join(misses))
    assert overall["crisis+concern recall (elevated or above)"] >= MIN_RISK_RECALL, misses
    assert overall["crisis rows in the crisis tier"] >= MIN_CRISIS_IN_CRISIS, misses
    assert overall["false alarms on none rows"] <= MAX_FALSE_ALARMS, misses
    # Each language holds the floors on its own too: Spanish is not carried by English.
    for lang in ("en", "es"):
        own = figures([r for r in screened if r["language"] == lang])
        assert own["crisis+concern recall (elevated or above)"] >= MIN_RISK_RECALL, lang
        assert own["crisis rows in the crisis tier"] >= MIN_CRISIS_IN_CRISIS, lang
        assert own["false alarms on none rows"] <= MAX_FALSE_ALARMS, lang


def test_every_risk_row_names_a_family(screened):
    for row in screened:
        if row["label"] in ("crisis", "concern") and row["tier"] >= Tier.ELEVATED:
            assert any(r.family for r in row["result"].reasons if r.category == "risk"), row["text"]
