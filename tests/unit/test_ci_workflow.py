"""The CI workflow is valid before a push finds out, the way the nightly one is checked
(``test_nightly_workflow.py``): GitHub's workflow schema (check-jsonschema's vendored copy, offline),
actionlint (built by `make setup`), and what it must do: run on every push and pull request, set up
Python 3.11 and Go, run exactly the README's test command, and keep the reports of a failing run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(WORKFLOW.read_text())  # YAML 1.2: `on` stays a string
    return loaded


def _steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _workflow()["jobs"]["test"]["steps"]
    return steps


def _schema_errors(path: Path) -> str | None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if done.returncode == 0 else done.stdout + done.stderr


def _actionlint() -> str:
    path = os.environ.get("ACTIONLINT_BIN") or str(ROOT / ".tools" / "bin" / "actionlint")
    if not Path(path).is_file():
        pytest.fail(f"actionlint not found at {path}: run `make setup` (scripts/install_actionlint.sh)")
    return path


def _readme_test_command() -> str:
    """The test command of the README's two commands: the `make test` line of its first sh block."""
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert block is not None, "README.md has no sh block with the two commands"
    lines = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    return next(line for line in lines if line.startswith("make test"))


def test_workflow_matches_githubs_schema() -> None:
    assert _schema_errors(WORKFLOW) is None


def test_the_schema_check_is_not_blind(tmp_path: Path) -> None:
    """The same check fails a workflow with a misspelt key (`run-on` for `runs-on`)."""
    broken = tmp_path / "ci.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:"))
    assert _schema_errors(broken) is not None


def test_actionlint_finds_nothing() -> None:
    done = subprocess.run([_actionlint(), str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_step_output_that_does_not_exist() -> None:
    broken = WORKFLOW.read_text().replace("steps.sdk-python.outputs", "steps.no-such-step.outputs")
    done = subprocess.run([_actionlint(), "-"], input=broken, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "no-such-step" in done.stdout


def test_runs_on_every_push_and_pull_request() -> None:
    triggers = _workflow()["on"]
    assert set(triggers) >= {"push", "pull_request"}
    for event in ("push", "pull_request"):  # no branch or path filter: every one
        assert not triggers[event], f"{event} is filtered: {triggers[event]}"


def test_runs_the_readmes_test_command() -> None:
    command = _readme_test_command()
    assert command == "make test"
    assert [s["run"] for s in _steps() if "run" in s] == [command]


def test_sets_up_python_3_11_as_the_default_and_go() -> None:
    steps = _steps()
    pythons = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert pythons[-1]["with"]["python-version"] == "3.11"  # the last one set up is on PATH first
    assert any(str(s.get("uses", "")).startswith("actions/setup-go@") for s in steps)
    test = next(s for s in steps if s.get("run") == "make test")
    assert test["env"]["FAULTLINE_PYTHON"] == f"${{{{ steps.{pythons[-1]['id']}.outputs.python-path }}}}"


def test_keeps_the_junit_xml_always_and_the_reports_of_a_failing_run() -> None:
    uploads = {
        s["with"]["path"]: s["if"]
        for s in _steps()
        if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    }
    assert uploads == {"reports/junit*.xml": "always()", "reports/": "failure()"}
