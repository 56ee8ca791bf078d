"""``python -m harness.incident`` as docs/incidents.md shows it, as processes: an example incident
captured from the simulator, built, checked and replayed (the walkthrough, in under a minute), and
each bad input refused with what to do and nothing half-written."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def incident(*args: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.incident", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def test_the_walkthrough_captures_builds_checks_and_replays_in_under_a_minute(tmp_path: Path) -> None:
    started = time.monotonic()
    capture, scenario, reports = tmp_path / "incident.jsonl", tmp_path / "incident.toml", str(tmp_path / "r")
    made = incident("example", str(capture), "--client", "reference", "--reports", reports)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "live, the client passed" in made.stdout
    built = incident("build", str(capture), "-o", str(scenario))
    assert built.returncode == 0, built.stderr
    assert "2 fault steps" in built.stdout
    checked = incident("check", str(scenario))
    assert (checked.returncode, "ok:" in checked.stdout) == (0, True), checked.stderr
    replayed = incident("replay", str(scenario), "--client", "reference", "--reports", reports)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "passed" in replayed.stdout
    assert "PASS    recovered" in replayed.stdout
    assert (
        f"replay: .venv/bin/python -m harness.incident replay {scenario} --client reference"
        in replayed.stdout
    )
    assert time.monotonic() - started < 60


def test_bad_input_is_refused_with_the_reason_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\ntitle = "x"\n\n[[steps]]\nat = 1\nfault = "earthquake"\nhub = "market"\n')
    refused = incident("replay", str(bad), "--client", "reference")
    assert refused.returncode == 2
    assert f"{bad}:6: step 1: unknown fault 'earthquake'" in refused.stderr
    assert incident("check", str(bad)).returncode == 2
    assert "--client: unknown client 'nope'" in incident("replay", str(bad), "--client", "nope").stderr
    not_a_capture = tmp_path / "notes.jsonl"
    not_a_capture.write_text('{"hello": 1}\n')
    broken = incident("build", str(not_a_capture), "-o", str(tmp_path / "out.toml"))
    assert broken.returncode == 2
    assert f"{not_a_capture} line 1: not a capture entry" in broken.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "notes.jsonl"]
    assert incident("build").returncode == 2  # usage
