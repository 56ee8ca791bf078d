"""The findings matrix: outcomes classified, rendered, and copied into a README between markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import matrix
from harness.matrix import Outcome

OUTCOMES = [
    Outcome("reference", "test_reset", "pass"),
    Outcome(
        "project-x-py-3.3.0", "test_reset", "reproduced", "R13", "test_reset[project-x-py-3.3.0]", "pytest x"
    ),
    Outcome("reference", "test_partition", "pass"),
    Outcome("project-x-py-3.3.0", "test_partition", "error", report="test_partition[project-x-py-3.3.0]"),
]


def test_pytest_outcomes_become_matrix_cells() -> None:
    assert matrix.classify("passed", False, False) == "pass"
    assert matrix.classify("skipped", True, True) == "reproduced"  # a strict xfail that failed as told
    assert matrix.classify("failed", False, True) == "error"  # failed some other way, or XPASS(strict)
    assert matrix.classify("failed", False, False) == "error"
    assert matrix.classify("skipped", False, False) == "error"  # a skip is never a result


def test_the_markdown_has_a_row_per_scenario_a_column_per_client_and_the_replays() -> None:
    text = matrix.markdown(OUTCOMES, link_base="runs/1/")
    lines = text.splitlines()
    assert lines[0] == "| scenario | reference | project-x-py-3.3.0 |"
    assert "| `test_reset` | pass | [R13](runs/1/test_reset[project-x-py-3.3.0]/index.html) |" in lines
    assert "**error** ([report](runs/1/test_partition[project-x-py-3.3.0]/index.html))" in text
    assert "project-x-py-3.3.0: 0 pass, 1 reproduced, 1 error" in text
    assert "- R13 on project-x-py-3.3.0, `test_reset`: `pytest x`" in text


def test_the_readme_gets_the_run_s_matrix_between_its_markers(tmp_path: Path) -> None:
    run = tmp_path / "reports" / "run-1"
    run.mkdir(parents=True)
    matrix.write(run, OUTCOMES)
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{matrix.START}\nold table\n{matrix.END}\noutro\n")
    assert matrix.main([str(run), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old table" not in text
    assert text.startswith("intro\n")
    assert text.endswith("outro\n")
    assert "[R13](reports/run-1/test_reset[project-x-py-3.3.0]/index.html)" in text
    readme.write_text("no markers")
    with pytest.raises(SystemExit, match="markers"):
        matrix.main([str(run), "--readme", str(readme)])
    assert matrix.main([str(tmp_path)]) == 2  # no matrix.json there


def test_runs_merge_and_a_later_run_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    matrix.write(first, OUTCOMES)
    matrix.write(second, [Outcome("project-x-py-3.3.0", "test_partition", "reproduced", "R2", "p", "cmd")])
    cells = {(o.scenario, o.client): o for o in matrix.merged([first, second], tmp_path)}
    assert cells[("test_partition", "project-x-py-3.3.0")].outcome == "reproduced"
    assert cells[("test_partition", "project-x-py-3.3.0")].report == "b/p"
    assert cells[("test_reset", "reference")].outcome == "pass"
