"""The findings matrix of a run: scenario runs judged by their claims become cells; a run prints."""

from __future__ import annotations

from pathlib import Path

from harness.run import matrix
from harness.run.matrix import Outcome

OUTCOMES = [
    Outcome("reference", "test_reset", "pass"),
    Outcome(
        "project-x-py-3.3.0", "test_reset", "reproduced", "R17", "test_reset[project-x-py-3.3.0]", "pytest x"
    ),
    Outcome("reference", "test_partition", "unknown", detail="unknown: queues_bounded"),
    Outcome("project-x-py-3.3.0", "test_partition", "error", report="test_partition[project-x-py-3.3.0]"),
]


def test_a_cell_is_the_scenario_s_own_judgement_unless_pytest_says_otherwise() -> None:
    assert matrix.classify("passed", "pass") == "pass"
    assert matrix.classify("passed", "unknown") == "unknown"
    assert matrix.classify("skipped", "reproduced") == "reproduced"  # a strict xfail that failed as told
    assert matrix.classify("failed", "error") == "error"
    assert matrix.classify("failed", "pass") == "error"  # XPASS(strict): a claimed failure that passed
    assert matrix.classify("failed", None) == "error"  # never got to its checks
    assert matrix.classify("skipped", None) == "error"  # a skip is never a result


def test_the_markdown_has_a_row_per_scenario_a_column_per_client_and_the_replays() -> None:
    lines = matrix.markdown(OUTCOMES).splitlines()
    assert lines[0] == "| scenario | reference | project-x-py-3.3.0 |"
    assert "| `test_reset` | pass | R17 |" in lines
    assert (
        "| `test_partition` | unknown | **error** ([report](test_partition[project-x-py-3.3.0]/index.html)) |"
        in lines
    )
    text = "\n".join(lines)
    assert "project-x-py-3.3.0: 0 pass, 0 unknown, 1 reproduced, 1 error" in text
    assert "reference: 1 pass, 1 unknown, 0 reproduced, 0 error" in text
    assert "- R17 on project-x-py-3.3.0, `test_reset`: `pytest x`" in text


def test_runs_merge_a_later_run_wins_and_the_cli_prints_them(tmp_path: Path, capsys: object) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    matrix.write(first, OUTCOMES)
    matrix.write(second, [Outcome("project-x-py-3.3.0", "test_partition", "reproduced", "R2", "p", "cmd")])
    cells = {(o.scenario, o.client): o for o in matrix.merged([first, second])}
    assert cells[("test_partition", "project-x-py-3.3.0")].outcome == "reproduced"
    assert cells[("test_reset", "reference")].outcome == "pass"
    assert matrix.load(first) == OUTCOMES  # verdict statuses and timings survive the round trip
    assert matrix.main([str(first), str(second)]) == 0
    assert matrix.main([str(tmp_path)]) == 2  # no matrix.json there
