"""The charts' scales and axes: round ticks over any span, labels with the decimals a step needs."""

from __future__ import annotations

import pytest

from harness.run.report.svg import Scale, label, nice_top, step_for, ticks, time_axis


@pytest.mark.parametrize(
    ("lo", "hi", "most", "expected"),
    [
        (0.0, 11.5, 12, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
        (0.0, 39.2, 12, [0, 5, 10, 15, 20, 25, 30, 35]),
        (0.0, 1.0, 4, [0, 0.5, 1.0]),
        (0.3, 2.9, 5, [1.0, 2.0]),  # 0.5 would make six
        (0.3, 2.9, 6, [0.5, 1.0, 1.5, 2.0, 2.5]),
        (0.0, 250.0, 2, [0, 200]),
    ],
)
def test_ticks_fall_on_round_values_and_stay_within_the_span(
    lo: float, hi: float, most: int, expected: list[float]
) -> None:
    assert ticks(lo, hi, most) == pytest.approx(expected)
    assert len(ticks(lo, hi, most)) <= most + 1


@pytest.mark.parametrize("span", [0.004, 0.7, 3.0, 11.5, 99.0, 1234.5, 86400.0])
def test_the_step_is_one_two_or_five_times_a_power_of_ten(span: float) -> None:
    step = step_for(span, 10)
    mantissa = step / 10 ** int(f"{step:e}".split("e")[1])
    assert round(mantissa, 6) in (1.0, 2.0, 5.0)
    assert span / step <= 10


def test_a_degenerate_span_has_one_tick() -> None:
    assert ticks(5.0, 5.0) == [5.0]
    assert step_for(0.0) == 1.0


def test_an_axis_ends_on_a_round_value_at_or_above_the_largest() -> None:
    assert nice_top(43.0) == 50.0
    assert nice_top(20.0) == 20.0
    assert nice_top(0.0) == 1.0
    assert nice_top(0.37) == pytest.approx(0.4)


def test_labels_carry_the_decimals_their_step_needs() -> None:
    assert label(2.0, 1.0, "s") == "2 s"
    assert label(0.5, 0.5, "s") == "0.5 s"
    assert label(0.25, 0.05) == "0.25"
    assert label(200.0, 100.0, "/s") == "200 /s"
    assert label(10000.0, 5000.0, "/s") == "10k /s"


def test_the_time_axis_counts_seconds_from_the_run_s_start_not_the_epoch() -> None:
    x = Scale(1796177409.5, 1796177421.0, 100, 1100)
    axis = time_axis(x, 0, 100, labels_at=10)
    assert axis.count('class="tick"') == 12  # 0 s .. 11 s
    assert ">0 s<" in axis
    assert ">11 s<" in axis
    assert "1796" not in axis
    assert 'x1="100.0"' in axis  # 0 s sits at the plot's left edge


def test_a_scale_maps_its_ends_and_can_point_up() -> None:
    y = Scale(0, 10, 100, 0)
    assert y(0) == 100
    assert y(10) == 0
    assert y.clamped(20) == 0
