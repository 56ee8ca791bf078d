"""The load run's own numbers: microsecond percentiles, mergeable across workers; sequence gaps;
the verdict that sets the exit code; fault specs."""

from __future__ import annotations

import pytest

from harness.load.faults import parse_step
from harness.load.stats import Histogram, SeqTracker, judge


def test_percentiles_are_within_a_bucket_of_the_truth_and_merge_across_workers() -> None:
    one, two = Histogram(), Histogram()
    for us in range(1, 1001):
        (one if us % 2 else two).add(float(us))
    one.merge(Histogram.from_dict(two.to_dict()))  # as a worker's report arrives at the master
    assert one.n == 1000
    assert one.max_us == 1000.0
    assert 990 * 0.97 <= one.percentile(0.99) <= 990 * 1.03
    assert 500 * 0.97 <= one.percentile(0.5) <= 500 * 1.03
    one.reset()
    assert one.percentile(0.99) == 0.0


def test_a_seq_jump_is_a_gap_and_repeats_or_reorders_are_not() -> None:
    seq = SeqTracker()
    assert [seq.check("GatewayQuote", "C", n) for n in (1, 2, 5, 5, 4, 6)] == [0, 0, 2, 0, 0, 0]
    assert (seq.gaps, seq.missing) == (1, 2)
    assert seq.check("GatewayQuote", "D", 7) == 0  # a stream's first message sets its start


def test_the_verdict_fails_on_each_threshold_and_on_gaps() -> None:
    assert judge(received=20_000, seconds=10, gaps=0, p99_us=900, min_rate=1000, max_p99_ms=50).ok
    slow = judge(received=5_000, seconds=10, gaps=0, p99_us=900, min_rate=1000, max_p99_ms=50)
    assert not slow.ok
    assert "500 msg/s is below the floor of 1000" in slow.lines[1]
    assert not judge(received=20_000, seconds=10, gaps=0, p99_us=60_000, min_rate=0, max_p99_ms=50).ok
    assert not judge(received=20_000, seconds=10, gaps=1, p99_us=900, min_rate=0, max_p99_ms=0).ok
    assert not judge(received=0, seconds=0, gaps=0, p99_us=0, min_rate=0, max_p99_ms=0).ok


def test_fault_specs_parse_or_say_what_is_wrong() -> None:
    step = parse_step("latency:market:5:10:ms=200,name=x")
    assert (step.fault, step.hub, step.at_s, step.duration_s) == ("latency", "market", 5.0, 10.0)
    assert step.params == {"ms": 200, "name": "x"}
    assert parse_step("server:stop_pings:market:1:2").fault == "server:stop_pings"
    with pytest.raises(ValueError, match="FAULT:HUB:START:DURATION"):
        parse_step("latency:market")
    with pytest.raises(ValueError, match="seconds"):
        parse_step("latency:market:soon:10")
