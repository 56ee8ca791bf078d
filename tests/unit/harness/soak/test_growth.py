"""The growth verdict on synthetic memray windows: flat churn passes, a leak fails at its rate,
reconnect steps and warm-up do not read as leaks, a staircase reads as its average rate."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.soak import growth
from harness.soak.config import SoakConfig
from harness.soak.growth import MB, Thresholds, Window

WINDOW_S = 10.0


def windows(
    n: int = 6,
    leak_per_h: float = 0.0,
    churn: float = 50e3,
    steps: dict[int, float] | None = None,
    seed: int = 0,
    staircase: float = 0.0,
) -> list[Window]:
    """Windows of 10 s, 10 snapshots/s: churn fills in over 1 s and jitters, a leak ramps."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        start = i * WINDOW_S
        heap = []
        for k in range(100):
            t = start + k / 10
            into = t - start
            value = min(1.0, into) * churn + rng.uniform(0, 0.3) * churn + leak_per_h * into / 3600
            if steps and i in steps and into >= 5.0:
                value += steps[i]  # a reconnect at +5 s of window i
            if staircase:
                leaked = leak_per_h * into / 3600
                value = min(1.0, into) * churn + staircase * (leaked // staircase)
            heap.append((t, value))
        out.append(Window(i, start, start + WINDOW_S, heap, int(heap[-1][1]), int(max(v for _, v in heap))))
    return out


def judge(ws: list[Window], breaks: list[float] = (), **kw: object) -> dict[str, growth.Verdict]:  # type: ignore[assignment]
    verdicts, _ = growth.judge(
        ws,
        breaks,
        [],
        {},
        warmup_until=WINDOW_S,
        settle_s=1.0,
        sub_s=0.5,
        thresholds=Thresholds(**kw),  # type: ignore[arg-type]
    )
    return {v.name: v for v in verdicts}


def test_flat_churn_passes() -> None:
    verdict = judge(windows())["heap_growth_bounded"]
    assert verdict.ok, verdict.detail


@pytest.mark.parametrize("rate_mb_h", [20, 100, 1000])
def test_a_leak_fails_and_its_rate_is_measured(rate_mb_h: float) -> None:
    ws = windows(leak_per_h=rate_mb_h * MB)
    slope = growth.segmented_slope([(w.start, w.end, w.heap) for w in ws[1:]], [], settle_s=1.0, sub_s=0.5)
    assert slope.per_hour == pytest.approx(rate_mb_h * MB, rel=0.25)
    assert not judge(ws)["heap_growth_bounded"].ok


def test_a_reconnect_step_at_a_break_is_not_a_leak() -> None:
    ws = windows(steps={i: 400e3 for i in range(6)})  # +400 kB at +5 s of every window
    breaks = [i * WINDOW_S + 5.0 for i in range(6)]
    assert judge(ws, breaks)["heap_growth_bounded"].ok
    # without knowing the breaks, a step in every window would read as growth: the breaks matter
    assert not judge(ws, [])["heap_growth_bounded"].ok
    # and a step in a few windows is outvoted even without them (the median of pooled pairs)
    assert judge(windows(steps={2: 400e3, 4: 400e3}), [])["heap_growth_bounded"].ok


def test_a_staircase_reads_as_its_average_rate() -> None:
    """Untraced Python allocators: the heap moves in arena-sized steps."""
    ws = windows(n=6, leak_per_h=2000 * MB, staircase=256e3)
    slope = growth.segmented_slope([(w.start, w.end, w.heap) for w in ws[1:]], [], settle_s=1.0, sub_s=0.5)
    assert slope.per_hour == pytest.approx(2000 * MB, rel=0.5)


def test_too_little_undisturbed_time_proves_nothing() -> None:
    breaks = [w + k for w in range(10, 60, 10) for k in (0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5)]
    verdict = judge(windows(), breaks)["heap_growth_bounded"]
    assert not verdict.ok
    assert "too little undisturbed data" in verdict.detail


def test_high_water_bound() -> None:
    assert not judge(windows(churn=10 * MB), max_heap_high_water=5 * MB)["heap_high_water"].ok


def test_counts_must_not_climb() -> None:
    flat = [(t / 2, 13.0 + (t % 3)) for t in range(200)]
    climbing = [(t / 2, 10.0 + t) for t in range(200)]
    assert growth.count_bounded("tasks_bounded", flat, 8).ok
    verdict = growth.count_bounded("callbacks_bounded", climbing, 8)
    assert not verdict.ok
    assert "floor" in verdict.detail
    unreported = growth.count_bounded("queued_bounded", [], 8)  # the client does not count it
    assert unreported.status == "unknown"
    assert unreported.detail.startswith("not reported")
    assert growth.count_bounded("tasks_bounded", flat[:5], 8).failed  # too short a run judges nothing


def test_segments_drop_settling_and_cut_at_breaks() -> None:
    assert growth.segments(0.0, 10.0, [3.0, 20.0], 1.0) == [(1.0, 3.0), (4.0, 10.0)]
    assert growth.segments(0.0, 10.0, [0.5], 1.0) == [(1.5, 10.0)]  # 0..0.5 is shorter than settling


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=4, max_size=60),
    st.floats(0.1, 5.0),
)
def test_floors_are_minima_of_their_sub_window(values: list[float], sub_s: float) -> None:
    points = [(i * 0.1, v) for i, v in enumerate(values)]
    end = points[-1][0] + 0.1
    for middle, floor in growth.floors(points, 0.0, end, sub_s):
        inside = [v for t, v in points if abs(t - middle) < sub_s / 2 - 1e-9]  # clear of the edges
        assert floor in values
        assert all(floor <= v for v in inside)


@settings(max_examples=50, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(0, 1e6))
def test_theil_sen_recovers_a_line(slope: float, intercept: float) -> None:
    points = [(float(t), intercept + slope * t) for t in range(30)]
    assert growth.statistics.median(growth.theil_sen_pairs(points)) == pytest.approx(slope, abs=1e-6)


def test_defaults_scale_with_the_duration() -> None:
    short, long = SoakConfig(duration_s=60).resolved(), SoakConfig(duration_s=24 * 3600).resolved()
    assert (short.window_s, short.fault_every_s, short.pyalloc) == (10.0, 15.0, True)
    assert (long.window_s, long.fault_every_s, long.pyalloc) == (1800.0, 300.0, False)
    assert short.warmup_windows == 1
    assert 100 <= short.interval_ms <= long.interval_ms <= 1000
    assert "--leak callbacks:10" in SoakConfig(leak="callbacks:10").command()
    # the growth threshold follows what the measured noise allows at each length
    assert short.thresholds.max_heap_slope == 10 * MB
    assert SoakConfig(duration_s=1800).resolved().thresholds.max_heap_slope == 3 * MB
    assert SoakConfig(duration_s=5.5 * 3600).resolved().thresholds.max_heap_slope == 2 * MB
    assert long.thresholds.max_heap_slope == 10 * MB
    assert SoakConfig(thresholds=Thresholds(max_heap_slope=3e6)).resolved().thresholds.max_heap_slope == 3e6
    assert [SoakConfig(duration_s=d).resolved().thresholds.max_rss_slope for d in (60, 1800, 86400)] == [
        1000 * MB,
        200 * MB,
        64 * MB,
    ]


def test_faults_rotate_through_the_catalogue_for_the_whole_run() -> None:
    from harness.soak.schedule import fault_timeline

    timeline = fault_timeline(SoakConfig(duration_s=120, seed=4).resolved())
    faults = [s.fault for s in timeline.steps]
    assert faults[:6] == ["partition", "expire_tokens", "server_close", "reset", "half_open", "server_close"]
    assert max(s.at_s for s in timeline.steps) < 120
    assert fault_timeline(SoakConfig(duration_s=120, seed=4).resolved()).to_json() == timeline.to_json()
    assert fault_timeline(SoakConfig(duration_s=120, faults=False).resolved()).steps == []
