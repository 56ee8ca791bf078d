"""A scenario's page and a run's index, written from a hand-made run: what a person needs is on
them (the outcome and why, the fault, when it was noticed, what was lost, the replay line), failures
come first, unknown is its own word, and every link points at a file that is there."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

from harness.run.report import RunAbout, chart, write_index, write_scenario
from harness.run.report.scenario import outcome_of
from harness.run.verdicts import Verdict

from .history_fixture import HEARTBEAT, partitioned_run

REPLAY = ".venv/bin/python -m pytest 'scenarios/test_x.py::test_x[reference]' -m chaos"
PASSED = [
    Verdict("no_silent_loss", True, "80 sent; 16 not seen, all reported"),
    Verdict("recovered", True, "ok"),
]
LOST = [
    Verdict("no_silent_loss", False, "lost without a report: {'GatewayQuote/CON': 1} (of 80 sent)"),
    PASSED[1],
]


def links(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', page)


def test_a_failing_page_tells_the_fault_the_moment_it_was_noticed_the_loss_and_the_replay(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "run" / "test_x[reference]"
    write_scenario(directory, "test_x[reference]", partitioned_run(), LOST, REPLAY)
    page = (directory / "index.html").read_text()
    box = page[page.index("What happened") : page.index("<h2>Timeline")]
    assert "partition on the market hub from 1.00 s to 3.50 s" in box
    assert "market hub lost at 2.00 s (1.00 s after the partition began)" in box
    assert HEARTBEAT in box
    assert "80 sent, 64 received, 15 reported lost by the client, 1 neither received nor reported" in box
    assert "lost without a report" in box
    assert (
        "<code>.venv/bin/python -m pytest &#x27;scenarios/test_x.py::test_x[reference]&#x27; -m chaos</code>"
        in box
    )
    assert json.loads((directory / "report.json").read_text())["outcome"] == "fail"


def test_a_page_has_a_legend_a_time_axis_and_a_lane_per_hub(tmp_path: Path) -> None:
    write_scenario(tmp_path, "test_x[reference]", partitioned_run(), PASSED, REPLAY)
    page = (tmp_path / "index.html").read_text()
    assert 'class="legend"' in page
    assert page.count('class="axis time-axis"') == 4  # above and below each chart
    assert ">10 s<" in page
    assert "user hub" in page
    assert "market hub" in page
    assert "fault being cleared" in page
    assert 'class="clearing"' in page
    reason = json.loads((tmp_path / "report.json").read_text())["reason"]
    assert reason == "all 2 verdicts held; partition on market: lost after 1.00 s, back 2.00 s later"


def test_faults_at_once_on_a_hub_each_get_a_row_and_faults_one_after_another_share_one() -> None:
    history = partitioned_run()
    history.faults += [
        {"t": 101.0, "action": "apply", "fault": "server:hub_down", "hub": "market", "params": {}},
        {"t": 102.5, "action": "clear", "fault": "server:hub_down", "hub": "market", "asked": 102.5},
        {"t": 108.5, "action": "apply", "fault": "reset", "hub": "market", "params": {}},
        {"t": 109.0, "action": "clear", "fault": "reset", "hub": "market", "asked": 109.0},
    ]
    svg = chart.timeline(history, 100.0, 110.0, [])
    rows = {
        re.search(r"<title>(.+?): [0-9]", bar).group(1): float(re.search(r'y="([0-9.]+)"', bar).group(1))  # type: ignore[union-attr]
        for bar in re.findall(r'<rect class="fault" [^>]*><title>[^<]*</title>', svg)
    }
    assert rows["partition"] != rows["server:hub_down"]  # at once: each on its own row, both named
    assert ">server:hub_down<" in svg
    assert rows["reset"] == rows["partition"]  # after the partition's removal: its row again


def test_every_file_of_the_run_is_linked_and_the_way_back_too(tmp_path: Path) -> None:
    directory = tmp_path / "test_x[reference]"
    directory.mkdir()
    (directory / "client 0 [market].log").write_text("a log")
    write_scenario(directory, "test_x[reference]", partitioned_run(), PASSED, REPLAY)
    targets = links((directory / "index.html").read_text())
    assert "../index.html" in targets
    files = {p.name for p in directory.iterdir()} - {"index.html"}
    assert files <= {unquote(t) for t in targets}
    assert all((directory / unquote(t)).exists() for t in targets if t != "../index.html")


def test_outcomes_unknown_reproduced_and_error_are_their_own() -> None:
    unknown = [Verdict("recovered", True, "ok"), Verdict.unknown("tasks_bounded", "no task count")]
    assert outcome_of(unknown, {}) == ("unknown", "the client cannot say: tasks_bounded")
    claims = {"status": "reproduced", "claims": [{"id": "R2", "expect": "reproduced"}], "problems": []}
    assert outcome_of(LOST, {"findings": claims})[0] == "reproduced"
    assert outcome_of([], {"error": "RuntimeError('boom')"}) == (
        "error",
        "stopped before its verdicts: RuntimeError('boom')",
    )
    assert outcome_of(PASSED, {}) == ("pass", "all 2 verdicts held")


def test_an_unknown_verdict_is_shown_as_unknown_never_as_pass_or_fail(tmp_path: Path) -> None:
    verdicts = [*PASSED, Verdict.unknown("tasks_bounded", "the client does not report its tasks")]
    write_scenario(tmp_path, "test_x[reference]", partitioned_run(), verdicts, REPLAY)
    page = (tmp_path / "index.html").read_text()
    row = re.search(r'<tr class="unknown">.*?</tr>', page)
    assert row is not None
    assert ">UNKNOWN<" in row.group(0)
    assert "PASS" not in row.group(0)
    assert "FAIL" not in row.group(0)


def test_the_index_sums_up_the_run_and_lists_failures_first_with_their_reason(tmp_path: Path) -> None:
    run = tmp_path / "20261202-074751-42"
    write_scenario(
        run / "test_b_passes[reference]", "test_b_passes[reference]", partitioned_run(), PASSED, REPLAY
    )
    write_scenario(
        run / "test_a_loses[reference]", "test_a_loses[reference]", partitioned_run(), LOST, REPLAY
    )
    unknown = [*PASSED, Verdict.unknown("tasks_bounded", "no count")]
    write_scenario(
        run / "test_c_cannot_say[reference]", "test_c_cannot_say[reference]", partitioned_run(), unknown, ""
    )
    explored = run / "explore-reference" / "example-0001"
    write_scenario(explored, "example-0001", partitioned_run(), LOST, REPLAY)
    found = [
        {"invariant": "recovered", "verdict": "reliable", "example": "1 contract; 2.6s partition market 2.6s"}
    ]
    search = {"client": "reference", "seed": 3, "runs": 11, "took_s": 117.1, "found": found}
    (explored.parent / "summary.json").write_text(json.dumps(search))
    (explored.parent / "summary.txt").write_text(
        "explore reference: 11 runs in 117 s, seed 3\n  FOUND recovered"
    )
    matrix = [{"scenario": "test_d_set_up_fails", "client": "reference", "outcome": "error", "report": "",
               "detail": "toxiproxy-server not found", "took_s": 0.1}]  # fmt: skip
    (run / "matrix.json").write_text(json.dumps(matrix))
    write_index(
        run,
        RunAbout("Chaos run", 42, ("reference",), 1796177409.0, 1796177529.0, "pytest scenarios -m chaos"),
    )
    page = (run / "index.html").read_text()
    order = [
        page.index(t) for t in ("A loses", "D set up fails", "C cannot say", "B passes", "explore-reference")
    ]
    assert order == sorted(order)
    assert "no_silent_loss: lost without a report" in page
    assert "toxiproxy-server not found" in page
    assert "seed <b>42</b>" in page
    assert "took <b>2 min 0 s</b>" in page
    summary = re.sub(r"<[^>]+>", "", page)
    assert "4 scenario runs and 1 folder of runs: FAIL 1 ERROR 1 UNKNOWN 1 REPRODUCED 0 PASS 1" in summary
    assert all((run / unquote(t)).exists() for t in links(page))
    assert "Exploration of reference" in page
    assert "found recovered (reliable): 1 contract; 2.6s partition market 2.6s; 11 runs in 117.1 s" in page
    nested = (run / "explore-reference" / "index.html").read_text()  # the folder has its own index
    assert '<a href="../index.html">' in nested
    assert "FOUND recovered" in nested  # what the search said at its end
    assert json.loads((run / "run.json").read_text())["seed"] == 42
