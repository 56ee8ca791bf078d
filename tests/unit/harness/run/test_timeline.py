"""Timelines: what a scenario saves is what a replay plays; bad steps are refused up front."""

from __future__ import annotations

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
