"""Reconnect delays (R4) and fixed-size statistics (R10)."""

from __future__ import annotations

import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client import Backoff, BackoffPolicy, token_expiry
from client.metrics import Metrics, Window


@given(seed=st.integers(0, 10**6), failures=st.integers(1, 200))
def test_r4_every_delay_is_jittered_below_a_capped_exponential(seed: int, failures: int) -> None:
    policy = BackoffPolicy(initial_s=0.5, max_s=30.0)
    backoff = Backoff(policy, random.Random(seed))
    for attempt in range(1, failures + 1):
        delay = backoff.next_delay(now=float(attempt))
        assert delay is not None
        assert 0.0 <= delay <= min(30.0, 0.5 * 2 ** (attempt - 1))


def test_r4_a_herd_of_clients_spreads_out_instead_of_returning_together() -> None:
    policy = BackoffPolicy(initial_s=1.0, max_s=30.0)
    thirds = [Backoff(policy, random.Random(n)) for n in range(200)]
    for backoff in thirds:
        backoff.next_delay(0.0)
        backoff.next_delay(0.0)
    delays = [b.next_delay(0.0) or 0.0 for b in thirds]  # third attempt: uniform in [0, 4]
    assert statistics.pstdev(delays) > 0.8
    assert len({round(d, 3) for d in delays}) > 150


def test_r4_gives_up_after_max_attempts_or_max_elapsed_and_starts_over_after_reset() -> None:
    backoff = Backoff(BackoffPolicy(max_attempts=3), random.Random(1))
    assert backoff.next_delay(0.0) is not None
    assert backoff.next_delay(1.0) is not None
    assert backoff.next_delay(2.0) is None
    backoff.reset()
    assert backoff.next_delay(3.0) is not None
    timed = Backoff(BackoffPolicy(initial_s=1.0, max_s=1.0, max_elapsed_s=5.0), random.Random(1))
    assert timed.next_delay(100.0) is not None
    assert timed.next_delay(106.0) is None


def test_r4_a_policy_that_cannot_work_is_refused() -> None:
    with pytest.raises(ValueError, match="initial_s"):
        BackoffPolicy(initial_s=0)
    with pytest.raises(ValueError, match="initial_s"):
        BackoffPolicy(initial_s=5, max_s=1)


def test_r4_a_very_long_outage_does_not_overflow() -> None:
    backoff = Backoff(BackoffPolicy(initial_s=0.1, max_s=2.0), random.Random(0))
    for n in range(5000):
        delay = backoff.next_delay(float(n))
        assert delay is not None
        assert delay <= 2.0


def test_r10_statistics_keep_a_fixed_size_however_long_the_run() -> None:
    metrics = Metrics()
    for n in range(100_000):
        metrics.sample("loop_lag_ms", float(n))
        metrics.count("events_received")
    window = metrics.windows["loop_lag_ms"]
    assert len(window._samples) == 256
    snapshot = metrics.snapshot()
    assert snapshot["counters"]["events_received"] == 100_000
    assert snapshot["windows"]["loop_lag_ms"]["max"] == 99_999
    assert len(snapshot["counters"]) == len(Metrics.COUNTERS)
    with pytest.raises(KeyError, match="unknown counter"):
        metrics.count("something_new")
    assert Window().summary()["n"] == 0


def test_token_expiry_reads_exp_and_gives_none_for_anything_else() -> None:
    import base64
    import json

    def jwt(claims: object) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJIUzI1NiJ9.{body}.sig"

    assert token_expiry(jwt({"exp": 1_800_000_000})) == 1_800_000_000
    assert token_expiry(jwt({"sub": "x"})) is None
    assert token_expiry(jwt({"exp": True})) is None
    assert token_expiry(jwt([1, 2])) is None
    assert token_expiry("not-a-jwt") is None
    assert token_expiry("a.!!!.c") is None
