"""Reconnect delays: capped exponential backoff with full jitter, and a limit that gives up (R4).

Full jitter (a uniform draw in ``[0, min(cap, base * 2**attempt)]``) spreads a herd of clients that
lost the same server at the same instant, so they do not all come back at once. The random source
is injected: scenarios seed it, so a run's delays can be replayed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    initial_s: float = 0.5  # the cap of the first delay
    max_s: float = 30.0  # no delay is longer than this
    multiplier: float = 2.0
    max_attempts: int | None = None  # failed attempts in a row before giving up; None: never
    max_elapsed_s: float | None = None  # time spent failing before giving up; None: never

    def __post_init__(self) -> None:
        if self.initial_s <= 0 or self.max_s < self.initial_s or self.multiplier < 1:
            raise ValueError("backoff needs 0 < initial_s <= max_s and multiplier >= 1")


class Backoff:
    """The delays of one run of failures; ``reset()`` after a success."""

    def __init__(self, policy: BackoffPolicy, rng: random.Random) -> None:
        self.policy = policy
        self.rng = rng
        self.attempts = 0
        self.failing_since: float | None = None

    def reset(self) -> None:
        self.attempts = 0
        self.failing_since = None

    def next_delay(self, now: float) -> float | None:
        """The delay before the next attempt after a failure at ``now``; None: give up."""
        policy = self.policy
        if self.failing_since is None:
            self.failing_since = now
        self.attempts += 1
        if policy.max_attempts is not None and self.attempts >= policy.max_attempts:
            return None
        exponent = min(self.attempts - 1, 64)  # past this the cap rules anyway (and no overflow)
        ceiling = min(policy.max_s, policy.initial_s * policy.multiplier**exponent)
        delay = self.rng.uniform(0.0, ceiling)
        if policy.max_elapsed_s is not None and now + delay - self.failing_since > policy.max_elapsed_s:
            return None
        return delay
