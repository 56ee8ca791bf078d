"""Stream shapes: rates per contract and kind, bursts, and the schedule that turns them into events."""

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.projectx.profile import Burst, ProfileError, StreamProfile, parse_burst, parse_rates
from simulator.projectx.schedule import StreamSchedule

CONTRACTS = {"CON.F.US.MNQ.Z26": "MNQ", "CON.F.US.MES.Z26": "MES"}
MNQ, MES = CONTRACTS


def counts(events: list[tuple[float, str, str]]) -> Counter[tuple[str, str]]:
    return Counter((contract, kind) for _, contract, kind in events)


def test_a_contract_override_beats_its_symbol_which_beats_the_default() -> None:
    profile = StreamProfile().with_rates({"trade": 9}, "MNQ").with_rates({"trade": 7}, MNQ)
    assert profile.base_rate(MNQ, "MNQ", "trade") == 7
    assert profile.base_rate("CON.F.US.MNQ.H27", "MNQ", "trade") == 9
    assert profile.base_rate(MES, "MES", "trade") == 2.0
    assert profile.base_rate(MES, "MES", "quote") == 4.0


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ({"quotes": 1}, "unknown event kind"),
        ({"quote": -1}, r"must be a number in \[0, 100000\], got -1"),
        ({"quote": "fast"}, "must be a number, not str"),
        ({"quote": True}, "must be a number, not bool"),
        ({"quote": math.inf}, "must be a number in"),
        ({"quote": math.nan}, "must be a number in"),
        ({"quote": 1e308}, "must be a number in"),  # stream time would stop: due + 1/rate == due
        ({"quote": 10**400}, "must be a number in"),
    ],
)
def test_bad_rates_are_refused_with_the_reason(raw: dict, complaint: str) -> None:
    with pytest.raises(ProfileError, match=complaint):
        parse_rates(raw)


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ({"duration": 1}, "'factor' is required"),
        ({"factor": 2, "duration": 0}, r"duration must be a number in \[0.001, 604800\]"),
        ({"factor": 2, "duration": 1e-300, "every": 1e-300}, "duration must be"),  # the edges would spin
        ({"factor": 1e9, "duration": 1}, "factor must be"),
        ({"factor": 2, "duration": 1, "start": math.nan}, "start must be"),
        ({"factor": 2, "duration": 2, "every": 1}, "at least the duration"),
        ({"factor": 2, "duration": 1, "events": ["quote", "fills"]}, "unknown kind"),
        ({"factor": 2, "duration": 1, "contracts": []}, "empty"),
        ({"factor": 2, "duration": 1, "when": 3}, "unknown key"),
    ],
)
def test_bad_bursts_are_refused_with_the_reason(raw: dict, complaint: str) -> None:
    with pytest.raises(ProfileError, match=complaint):
        parse_burst(raw)


def test_a_repeating_burst_is_active_in_each_period_and_names_its_edges() -> None:
    burst = Burst(factor=3, duration_s=2, start_s=10, every_s=5)
    assert [burst.active(t) for t in (9.9, 10, 11.9, 12, 14.9, 15, 17.5)] == [
        False, True, True, False, False, True, False,
    ]  # fmt: skip
    assert [burst.next_edge(t) for t in (0, 10, 12, 13, 15)] == [10, 12, 15, 15, 17]
    once = Burst(factor=3, duration_s=2, start_s=1)
    assert [once.next_edge(t) for t in (0, 1, 3)] == [1, 3, math.inf]


def test_the_same_seed_and_profile_give_the_same_events() -> None:
    profile = StreamProfile(bursts=(Burst(factor=5, duration_s=1, start_s=2),))
    first = StreamSchedule(CONTRACTS, profile, seed=3).take(10.0, 10**6)
    again = StreamSchedule(CONTRACTS, profile, seed=3).take(10.0, 10**6)
    other = StreamSchedule(CONTRACTS, profile, seed=4).take(10.0, 10**6)
    assert first == again
    assert first != other
    assert [t for t, _, _ in first] == sorted(t for t, _, _ in first)


def test_taking_in_small_steps_gives_the_same_events_as_one_big_step() -> None:
    profile = StreamProfile(bursts=(Burst(factor=4, duration_s=0.5, every_s=2),))
    whole = StreamSchedule(CONTRACTS, profile, seed=1).take(8.0, 10**6)
    schedule = StreamSchedule(CONTRACTS, profile, seed=1)
    pieces = []
    for step in range(1, 801):
        pieces += schedule.take(step / 100, 7)  # small limits too: the rest comes next time
        pieces += schedule.take(step / 100, 10**6)
    assert pieces == whole


def test_a_burst_multiplies_only_the_kinds_and_contracts_it_names() -> None:
    burst = parse_burst({"factor": 10, "duration": 2, "start": 4, "contracts": ["MNQ"], "events": ["trade"]})
    events = StreamSchedule(CONTRACTS, StreamProfile(bursts=(burst,)), seed=0).take(10.0, 10**6)
    in_burst = counts([e for e in events if 4 <= e[0] < 6])
    assert in_burst[(MNQ, "trade")] == pytest.approx(2 * 2 * 10, abs=2)
    assert in_burst[(MES, "trade")] == pytest.approx(2 * 2, abs=1)
    assert in_burst[(MNQ, "quote")] == pytest.approx(2 * 4, abs=1)


def test_a_live_change_keeps_each_streams_progress() -> None:
    schedule = StreamSchedule(CONTRACTS, StreamProfile(), seed=0)
    before = schedule.take(5.0, 10**6)
    schedule.change(StreamProfile().with_rates({"quote": 0}), 5.0)
    paused = schedule.take(7.0, 10**6)
    schedule.change(StreamProfile(), 7.0)
    after = schedule.take(12.0, 10**6)
    assert all(kind != "quote" for _, _, kind in paused)
    quotes = counts(before + paused + after)[(MNQ, "quote")]
    assert quotes == pytest.approx(4 * 10, abs=1)  # 10 s at 4/s, the 2 paused seconds excluded
    assert schedule.rates_now()[MNQ] == {"quote": 4.0, "trade": 2.0, "depth": 0.0}


@given(
    rates=st.dictionaries(
        st.sampled_from(["quote", "trade", "depth"]), st.floats(0, 200, allow_nan=False), min_size=1
    ),
    duration=st.floats(0.1, 20),
    seed=st.integers(0, 1000),
)
def test_each_stream_gets_its_rate_times_the_duration(rates: dict, duration: float, seed: int) -> None:
    profile = StreamProfile().with_rates(rates)
    events = counts(StreamSchedule(CONTRACTS, profile, seed=seed).take(duration, 10**7))
    for contract in CONTRACTS:
        for kind, rate in profile.default.items():
            assert abs(events[(contract, kind)] - rate * duration) <= 1
