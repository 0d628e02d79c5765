"""Factories for shares: real speech audio, transcripts and screening, shares through ivr.shares.domain."""
from __future__ import annotations

import subprocess
from functools import lru_cache

from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.storage import storage

SENTENCE = "my name is Robin and my number is five five five one two one two and I feel better now"
WORD_SECONDS = 0.4


@lru_cache(maxsize=None)
def speech_wav(text: str = SENTENCE) -> bytes:
    """Real speech from espeak-ng as WAV bytes."""
    return subprocess.run(["espeak-ng", "-s", "150", "--stdout", text], capture_output=True, check=True).stdout


def transcript_for(text: str = SENTENCE, low: tuple[int, ...] = (5,)) -> dict:
    """A transcript in the workers' shape with evenly spaced word times (the test audio's own timing is not needed)."""
    words = []
    for i, word in enumerate(text.split()):
        start = round(i * WORD_SECONDS, 2)
        words.append({"text": word, "start": start, "end": round(start + WORD_SECONDS * 0.8, 2),
                      "conf": 0.4 if i in low else 0.95})
    return {"words": words, "text": text, "mean_conf": 0.9}


def screening_for(tier: str = "personal_details") -> dict:
    """A screening in the shape of workers.screening.Screening.to_dict(): a name flagged as personal."""
    return {
        "tier": tier, "priority": 15,
        "reasons": [{"category": "personal", "kind": "name", "label": "a first name", "words": [3, 4],
                     "start_s": 1.2, "end_s": 1.52, "text": "robin", "priority": 15, "certainty": 0.9,
                     "modifiers": []}],
        "personal_spans": [[1.2, 1.52]], "profanity": [], "needs_listening": False, "listening_reasons": [],
    }


_counter = iter(range(10_000, 99_999))


def make_share(app, *, consent: str = "library", disguise: bool = False, tier: str = "personal_details",
               priority: int = 15, language: str = "en", audio: bytes | None = None, processed: bool = True,
               transcript: dict | None = None, screening: dict | None = None) -> int:
    """A share received and processed through ivr.shares (as the worker would); returns its id."""
    with app.app_context():
        n = next(_counter)
        share = shares.receive_recording(f"RE{n:032d}", f"CA{n:032d}", None, 7, None, language, consent, disguise,
                                         enqueue=False)
        if processed:
            key = storage().put(f"shares/{share.id}/original.wav", audio or speech_wav())
            shares.record_processing_result(
                share.id, transcript=transcript or transcript_for(), screening=screening or screening_for(tier),
                tier=tier, priority=priority, reasons=["a first name"], original_key=key, duration_s=7)
        db.session.commit()
        return share.id
