"""Fault knobs: the ways real Twilio misbehaves that Peerline must survive."""
from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Faults:
    """Switch on one misbehaviour at a time in a test; all are off by default and deterministic."""

    #: Deliver every status callback this many extra times (Twilio retries and repeats).
    duplicate_callbacks: int = 0
    #: When several callbacks are queued, deliver the newest first (out of order).
    reorder_callbacks: bool = False
    #: Hold callbacks back until `sim.release_callbacks()` (to interleave them by hand).
    hold_callbacks: bool = False
    #: Deliver queued callbacks as soon as the webhook that caused them has returned, before the
    #: call's next webhook (by default they wait until the call pauses for the caller).
    early_callbacks: bool = False
    #: Recording media answers 404 to this many fetches before it is downloadable.
    recording_unavailable_fetches: int = 0
    #: Every REST request takes this long before it is answered.
    rest_latency_ms: int = 0
    #: The next N REST requests fail with `rest_error_status`.
    rest_fail_next: int = 0
    #: Each REST request fails with this probability (seeded, so runs repeat).
    rest_error_rate: float = 0.0
    rest_error_status: int = 500
    seed: int = 1234
    rng: random.Random = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    def rest_failure(self) -> int | None:
        """The status a REST request should fail with now, or None to serve it."""
        if self.rest_fail_next > 0:
            self.rest_fail_next -= 1
            return self.rest_error_status
        if self.rest_error_rate and self.rng.random() < self.rest_error_rate:
            return self.rest_error_status
        return None
