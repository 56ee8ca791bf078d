"""A failing scenario leaves no process and no port behind: the simulator and Toxiproxy it started
are stopped, and their ports are free, even though the test failed."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

FAILING = """
import pytest
from harness.chaos import ChaosRun
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos


async def test_fails_in_the_middle_of_a_fault(chaos: ChaosRun) -> None:
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await chaos.play(chaos.timeline(lambda rng: [Step(0.1, "partition", "market")]))  # never cleared
    raise RuntimeError("a scenario that blows up with a fault in place")
"""


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_failing_scenario_stops_everything_it_started(tmp_path: Path) -> None:
    scenario = tmp_path / "test_failing.py"
    scenario.write_text(FAILING)
    reports = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "scenarios.conftest", str(scenario), "-q", "-p", "no:cacheprovider",
         "--chaos-reports", str(reports), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout[-2000:]
    assert "a scenario that blows up" in result.stdout
    [run] = [p for p in reports.iterdir() if p.is_dir() and p.name != "latest"]
    simulator_port = int(
        re.search(
            r"listening on http://127\.0\.0\.1:(\d+)",
            (run / "test_fails_in_the_middle_of_a_fault[reference]" / "simulator.log").read_text(),
        ).group(1)
    )  # type: ignore[union-attr]
    toxiproxy_port = int(
        re.search(r'"address":"127\.0\.0\.1:(\d+)"', (run / "toxiproxy.log").read_text()).group(1)
    )  # type: ignore[union-attr]
    assert port_is_free(simulator_port)
    assert port_is_free(toxiproxy_port)
    assert processes_mentioning(str(run)) == []  # the simulator's argv names its history file in the run dir
    assert processes_mentioning(f"-port {toxiproxy_port}") == []
    assert (
        run / "test_fails_in_the_middle_of_a_fault[reference]" / "index.html"
    ).is_file()  # the report was still written
