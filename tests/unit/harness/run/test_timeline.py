"""Timelines: what a scenario saves is what a replay plays; bad steps are refused up front."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from harness.run.history import RunHistory
from harness.run.timeline import Player, Step, Timeline


def test_a_saved_timeline_loads_back_the_same(tmp_path: Path) -> None:
    timeline = Timeline(
        7,
        [
            Step(1.0, "partition", "market", 2.0, {"heal": "drop"}),
            Step(0.05, "reset", "market", 0.3, on="market:connected#2"),
            Step(0.5, "server:split_frames", "both", 1.0, {"size": 5}),
        ],
    )
    timeline.save(tmp_path / "timeline.json")
    assert Timeline.load(tmp_path / "timeline.json") == timeline
    assert timeline.end_s == 3.0


@pytest.mark.parametrize(
    ("step", "complaint"),
    [
        (Step(0, "earthquake", "market"), "unknown fault"),
        (Step(0, "reset", "market", on="market connected"), "bad event"),
        (Step(0, "reset", "market", on="tape:connected"), "bad event"),
    ],
)
def test_bad_steps_are_refused(step: Step, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        Timeline(1, [step])


async def test_an_event_step_whose_event_never_comes_is_logged_untriggered_not_raised() -> None:
    history = RunHistory()
    player = Player(None, {}, "http://127.0.0.1:9", history)  # type: ignore[arg-type]  # never reached
    step = Step(0.0, "reset", "market", 0.3, on="market:connected#2")
    await player.play(Timeline(1, [step]), event_timeout_s=0.05)
    [entry] = history.faults
    assert (entry["action"], entry["fault"], entry["on"]) == ("untriggered", "reset", "market:connected#2")


HOLD = {"heal": "hold"}


@pytest.mark.parametrize(
    "steps",
    [
        # latency ends while a partition that came after it holds the hub's data
        [Step(0.5, "latency", "market", 2.0, {"ms": 50}), Step(1.0, "partition", "market", 3.0, HOLD)],
        # the same at the same start (the later step is applied second), and with a bandwidth limit
        [Step(1.0, "reset", "user", 1.0), Step(1.0, "bandwidth", "both", 2.0)],
        # never cleared: still holding when the first one ends
        [Step(0.0, "half_open", "market", 1.0), Step(0.5, "partition", "both")],
    ],
)
def test_a_fault_ending_in_front_of_one_that_holds_data_is_refused(steps: list[Step]) -> None:
    with pytest.raises(ValueError, match="still holds the link's data"):
        Timeline(1, steps)


@pytest.mark.parametrize(
    "steps",
    [
        # nested: the holding one comes off first
        [Step(0.5, "latency", "market", 4.0, {"ms": 50}), Step(1.0, "partition", "market", 2.0, HOLD)],
        # the holding one first: what is in front of it may come and go
        [Step(0.5, "partition", "market", 3.0, HOLD), Step(1.0, "latency", "market", 0.5, {"ms": 50})],
        # a dropping partition reads all it gets; other hubs; one after the other ends
        [
            Step(0.5, "latency", "market", 2.0, {"ms": 50}),
            Step(1.0, "partition", "market", 3.0, {"heal": "drop"}),
        ],
        [Step(0.5, "latency", "market", 2.0, {"ms": 50}), Step(1.0, "partition", "user", 3.0, HOLD)],
        [Step(0.5, "latency", "market", 0.5, {"ms": 50}), Step(1.0, "partition", "market", 3.0, HOLD)],
        # server faults hold nothing in Toxiproxy; event steps have no time to compare
        [Step(0.5, "expire_tokens", "user", 2.0), Step(1.0, "partition", "user", 3.0, HOLD)],
        [
            Step(0.5, "latency", "market", 2.0, {"ms": 50}),
            Step(0.0, "bandwidth", "market", on="market:connected"),
        ],
    ],
)
def test_faults_toxiproxy_can_take_off_in_order_are_played(steps: list[Step]) -> None:
    Timeline(1, steps)


async def test_a_clear_keeps_when_it_was_asked_apart_from_when_it_was_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    history = RunHistory()
    player = Player(None, {}, "http://127.0.0.1:9", history)  # type: ignore[arg-type]  # _act is replaced

    async def act(action: str, step: Step, hub: str) -> None:
        clock[0] += 2.5 if action == "clear" else 0.0  # removing a toxic that held data takes a while

    monkeypatch.setattr(player, "_act", act)
    step = Step(0.0, "partition", "market", 1.0)
    for action in ("apply", "clear"):  # as play does at 0 s and 1 s
        await player._do(action, step)
    applied, cleared = history.faults
    assert (applied["action"], applied["t"]) == ("apply", 1000.0)
    assert (cleared["action"], cleared["asked"], cleared["t"]) == ("clear", 1000.0, 1002.5)


async def test_a_slow_clear_on_one_hub_does_not_hold_the_other_hubs_fault(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = RunHistory()
    player = Player(None, {}, "http://127.0.0.1:9", history)  # type: ignore[arg-type]  # _act is replaced
    held = asyncio.Event()

    async def act(action: str, step: Step, hub: str) -> None:
        if hub == "user":  # the user proxy's removal waits on a stuck write
            await held.wait()
        else:
            held.set()  # reached while the user hub's clear still waits: both are under way at once

    monkeypatch.setattr(player, "_act", act)
    async with asyncio.timeout(5):
        await player._do("clear", Step(0.0, "partition", "both", 1.0))
    assert [f["hub"] for f in history.faults] == ["market", "user"]


async def test_a_failing_hub_of_a_step_still_lets_the_other_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    history = RunHistory()
    player = Player(None, {}, "http://127.0.0.1:9", history)  # type: ignore[arg-type]  # _act is replaced

    async def act(action: str, step: Step, hub: str) -> None:
        if hub == "user":
            raise RuntimeError("toxiproxy refused")
        await asyncio.sleep(0.01)

    monkeypatch.setattr(player, "_act", act)
    with pytest.raises(RuntimeError, match="toxiproxy refused"):
        await player._do("clear", Step(0.0, "partition", "both", 1.0))
    assert [f["hub"] for f in history.faults] == ["market"]


def test_each_client_of_a_run_observes_into_the_same_history_under_its_own_index() -> None:
    history = RunHistory()
    history.observe_at(1.0, "state", hub="market")
    history.for_client(2).observe_at(2.0, "state", hub="market")
    assert history.client == [
        {"t": 1.0, "kind": "state", "hub": "market"},  # the first client's: untagged, as most runs have one
        {"t": 2.0, "kind": "state", "hub": "market", "client_index": 2},
    ]
