"""The explorer's engine with the real runs replaced by a rule (no processes: seconds): it finds a
failure, shrinks it to the smallest example failing the same invariant, replays it, searches on for
a different one, keeps to its budgets, leaves baseline failures out, and saves what --chaos-replay
plays."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from harness.errors import HarnessError
from harness.explore import Explorer, Settings, load, narrow
from harness.explore import search as engine
from harness.explore.probe import Probe
from harness.explore.vocabulary import NAMES, Example, examples
from harness.infra.toxiproxy import ToxiproxyServer
from harness.run.verdicts import Verdict


def rule(example: Example) -> list[Verdict]:
    """A client that loses data after any partition of 2 s or more, and sends a token in its URL."""
    partitioned = any(s.fault == "partition" and (s.duration_s or 0) >= 2.0 for s in example.steps)
    stale = any(s.fault == "expire_tokens" for s in example.steps) and len(example.steps) >= 2
    return [
        Verdict("connected_at_end", not stale, "stale token" if stale else "both"),
        Verdict("no_silent_loss", not partitioned, "lost 3" if partitioned else "none lost"),
        Verdict("token_never_in_url", False, "?access_token= in the URL"),
        Verdict("tasks_bounded", None, "the client does not report its tasks"),
    ]


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[Example]:
    seen: list[Example] = []

    async def fake(example: Example, *, directory: Path, **_: Any) -> Probe:
        seen.append(example)
        return Probe(tuple(rule(example)), 0.0, directory)

    monkeypatch.setattr(engine, "probe", fake)
    return seen


def explorer(tmp_path: Path, **settings: Any) -> tuple[Explorer, list[str]]:
    lines: list[str] = []
    config = Settings("fake", **{"budget_s": 5.0, "seed": 1, "shrink_budget_s": 5.0, **settings})
    return Explorer(config, ToxiproxyServer(), tmp_path, progress=lines.append), lines


def test_a_failure_is_shrunk_to_the_smallest_example_failing_the_same_invariant(
    runs: list[Example], tmp_path: Path
) -> None:
    run, lines = explorer(tmp_path, faults=("partition", "latency"), max_found=1)
    summary = run.run()
    assert summary.baseline == {"token_never_in_url": "?access_token= in the URL"}  # left out of the search
    [found] = summary.found
    assert found.invariant == "no_silent_loss"
    assert found.replayed == [True, True, True]
    steps = found.example.steps
    assert [(s.fault, s.duration_s, s.at_s) for s in steps] == [("partition", 2.0, 0.0)]  # minimal
    assert (found.example.contracts, found.example.callbacks, found.example.actions) == (1, (), ())
    assert found.timeline is not None
    example, fails, baseline = load(found.timeline)
    assert (example, fails, baseline) == (found.example, "no_silent_loss", ("token_never_in_url",))
    assert found.command.endswith(f"--client fake --chaos-replay {found.timeline}")
    assert "'scenarios/test_explore.py::test_explore[fake]' -m explore" in found.command
    assert any("FAIL no_silent_loss" in line for line in lines)
    assert "FOUND no_silent_loss" in (tmp_path / "summary.txt").read_text()


def test_the_search_goes_on_for_a_different_failure_until_its_budget_is_spent(
    runs: list[Example], tmp_path: Path
) -> None:
    summary = explorer(
        tmp_path, faults=("partition", "expire_tokens", "latency"), budget_s=6.0, shrink_budget_s=60.0
    )[0].run()
    assert {f.invariant for f in summary.found} == {"no_silent_loss", "connected_at_end"}
    stale = next(f for f in summary.found if f.invariant == "connected_at_end")
    assert len(stale.example.steps) == 2  # the expiry and one more step: no smaller example fails it
    assert len({str(f.timeline) for f in summary.found}) == 2


def test_a_search_that_finds_nothing_stops_at_its_budget(runs: list[Example], tmp_path: Path) -> None:
    started = time.monotonic()
    summary = explorer(tmp_path, faults=("latency",), budget_s=1.0)[0].run()
    assert summary.found == []
    assert summary.examples > 2  # the baseline and the examples drawn within the second
    assert time.monotonic() - started < 10


def test_an_unknown_verdict_is_never_a_failure(runs: list[Example], tmp_path: Path) -> None:
    summary = explorer(tmp_path, faults=("latency",), budget_s=2.0)[0].run()
    assert (summary.found, "tasks_bounded" in summary.baseline) == ([], False)


def test_the_vocabulary_can_be_narrowed_and_refuses_unknown_names() -> None:
    assert narrow(None) == NAMES
    assert narrow(["partition", " churn", "partition"]) == ("partition", "churn")
    with pytest.raises(HarnessError, match="unknown bogus"):
        narrow(["partition", "bogus"])
    drawn = []

    @given(examples(1, ("partition",)))
    @settings(max_examples=20, database=None)
    def draw(example: Example) -> None:
        assert Example.from_json(example.to_json()) == example
        drawn.append(example)

    draw()
    assert {s.fault for e in drawn for s in e.steps} == {"partition"}
    assert not any(e.actions for e in drawn)  # churn was not chosen


def test_every_drawn_example_is_a_timeline_toxiproxy_can_play() -> None:
    @given(examples(1, NAMES))
    @settings(max_examples=300, database=None)
    def draw(example: Example) -> None:
        example.timeline()  # refuses a fault ending in front of one that holds data (Toxiproxy hangs)

    draw()


class HangsOnce(ToxiproxyServer):
    def __init__(self) -> None:
        super().__init__()
        self.url = "http://127.0.0.1:1"

    def revive(self, probe_s: float = 3.0) -> bool:
        self.restarts += 1
        return True


def test_a_run_toxiproxy_hung_under_is_run_again_then_left_out_never_a_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tries: dict[str, int] = {}

    async def fake(example: Example, *, directory: Path, **_: Any) -> Probe:
        tries[directory.name] = tries.get(directory.name, 0) + 1
        if any(s.fault == "partition" for s in example.steps):  # hangs, every time
            return Probe((), 0.0, directory, harness_error="toxiproxy DELETE: no answer within 10 s")
        if example.steps and tries[directory.name] == 1:  # hangs once, then runs
            return Probe((), 0.0, directory, harness_error="toxiproxy DELETE: no answer within 10 s")
        return Probe((Verdict("connected_at_end", not example.steps, "lost"),), 0.0, directory)

    monkeypatch.setattr(engine, "probe", fake)
    lines: list[str] = []
    server = HangsOnce()
    config = Settings("fake", budget_s=3.0, seed=1, shrink_budget_s=3.0, faults=("partition", "latency"))
    summary = Explorer(config, server, tmp_path, progress=lines.append).run()
    assert summary.unjudged > 0
    assert server.restarts > summary.unjudged  # once-hung runs went on
    assert all("partition" not in f.example.describe() for f in summary.found)
    assert [f.invariant for f in summary.found][:1] == ["connected_at_end"]  # found by latency alone
    assert any("not judged" in line and "running it again" in line for line in lines)
    assert any(line.endswith("left out") for line in lines)
