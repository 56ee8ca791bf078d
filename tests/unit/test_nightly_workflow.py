"""The nightly soak workflow is valid before anyone waits a night to find out: GitHub's workflow
schema (check-jsonschema's vendored copy, offline), actionlint (built by `make setup`), and what
the workflow must do (schedule and manual trigger, a duration input within the hosted limit, the
artifact uploaded also on failure), with its soak command parsed by the soak's own CLI."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from harness.soak import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "nightly-soak.yml"


def _workflow() -> dict[str, Any]:
    return YAML(typ="safe").load(WORKFLOW.read_text())  # YAML 1.2: `on` stays a string


def _actionlint() -> str:
    path = os.environ.get("ACTIONLINT_BIN") or str(ROOT / ".tools" / "bin" / "actionlint")
    if not Path(path).is_file():
        pytest.fail(f"actionlint not found at {path}: run `make setup` (scripts/install_actionlint.sh)")
    return path


def test_workflow_matches_githubs_schema() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_nothing() -> None:
    done = subprocess.run([_actionlint(), str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_is_not_blind() -> None:
    """The linter used above does fail a broken workflow (an unknown expression context)."""
    broken = WORKFLOW.read_text().replace("${{ github.run_id }}", "${{ nonsense.run_id }}")
    done = subprocess.run([_actionlint(), "-"], input=broken, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "nonsense" in done.stdout


def test_runs_nightly_and_by_hand_within_the_hosted_limit() -> None:
    workflow = _workflow()
    triggers = workflow["on"]
    assert triggers["schedule"][0]["cron"]
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert float(inputs["hours"]["default"]) <= 5.5  # hosted jobs stop at 6 h
    assert inputs["runner"]["options"] == ["hosted", "self-hosted"]
    job = workflow["jobs"]["soak"]
    assert "355" in str(job["timeout-minutes"])  # under the hosted 360, the soak ends itself first
    assert "self-hosted" in str(job["runs-on"])
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_uploads_the_report_even_when_the_soak_fails() -> None:
    steps = _workflow()["jobs"]["soak"]["steps"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"].rstrip("/") == "soak-report"


def test_the_soak_command_is_one_the_cli_accepts() -> None:
    steps = _workflow()["jobs"]["soak"]["steps"]
    script = next(s["run"] for s in steps if "harness.soak" in s.get("run", ""))
    words = shlex.split(script.replace("\\\n", " "))
    args = words[words.index("harness.soak") + 1 :]
    values = {"${SOAK_HOURS}h": "5.5h", "$SOAK_RATE": "1000", "$GITHUB_RUN_ID": "123"}
    parsed = cli.parser().parse_args([values.get(a, a) for a in args])
    assert parsed.duration == 5.5 * 3600
    assert parsed.out == Path("soak-report")
