"""``locust -f load.py`` as a user runs it: headless against a simulator it starts itself, the
thresholds deciding the exit code, and distributed with a master and two workers. The first test is
the CI smoke the load issue asks for: over 1000 msg/s received with zero sequence gaps."""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
LOCUST = [sys.executable, "-m", "locust", "-f", str(ROOT / "load.py")]


def run(args: list[str], cwd: Path, timeout_s: float = 90) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [*LOCUST, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(cwd)},  # the run's logs stay in the test's directory
    )
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


def received_rate(output: str) -> float:
    match = re.search(r"load: received (\d+) hub messages in ([\d.]+) s: (\d+) msg/s", output)
    assert match, output[-3000:]
    return float(match.group(3))


def test_a_headless_run_receives_over_1000_msgs_per_s_with_no_gap(tmp_path: Path) -> None:
    result = run(
        ["--headless", "-u", "5", "-r", "5", "-t", "12s", "--rate", "60", "--min-msgs-per-s", "1000",
         "--csv", str(tmp_path / "run"), "--html", str(tmp_path / "run.html"), "--only-summary"],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert received_rate(result.stdout) >= 1000
    assert "0 sequence gaps" in result.stdout
    with (tmp_path / "run_stats.csv").open() as f:
        rows = {row["Name"]: row for row in csv.DictReader(f) if row["Type"] == "WSR"}
    assert set(rows) == {"GatewayQuote", "GatewayTrade", "GatewayDepth"}
    assert all(row["Failure Count"] == "0" for row in rows.values())
    assert (tmp_path / "run.html").stat().st_size > 10_000


def test_a_missed_threshold_fails_the_run_and_says_why(tmp_path: Path) -> None:
    result = run(["--headless", "-u", "1", "-r", "1", "-t", "4s", "--rate", "10", "--max-p99-ms", "0.000001",
                  "--min-msgs-per-s", "1000000", "--only-summary", "--user-hub"], tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stdout[-3000:]
    assert "is below the floor of 1000000" in result.stdout
    assert "(--max-p99-ms)" in result.stdout
    assert re.search(r"WS\s+connect\s+1\s+0\(", result.stdout)  # both hubs in one timed connect, no failure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_master_and_two_workers_share_the_load_and_the_verdict(tmp_path: Path) -> None:
    port = str(free_port())
    workers = [
        subprocess.Popen(
            [*LOCUST, "--worker", "--master-host", "127.0.0.1", "--master-port", port],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        for _ in range(2)
    ]
    try:
        master = run(
            ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port, "--expect-workers", "2",
             "--headless", "-u", "4", "-r", "4", "-t", "10s", "--rate", "40", "--min-msgs-per-s", "500",
             "--only-summary"],
            tmp_path,
        )  # fmt: skip
        outputs = [w.communicate(timeout=30)[0] for w in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
    assert master.returncode == 0, master.stdout[-3000:]
    assert received_rate(master.stdout) >= 500  # 4 users x 5 x 40 = 800 offered, over both workers
    assert "0 sequence gaps" in master.stdout
    assert all(w.returncode == 0 for w in workers), [o[-1500:] for o in outputs]


def test_a_fault_during_the_run_shows_in_the_latency_and_is_cleaned_up(tmp_path: Path) -> None:
    result = run(["--headless", "-u", "2", "-r", "2", "-t", "8s", "--rate", "20", "--only-summary",
                  "--fault", "latency:market:2:3:ms=200"], tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    p99_ms = float(re.search(r"p99 ([\d.]+) ms", result.stdout).group(1))  # type: ignore[union-attr]
    assert p99_ms >= 200
    log = Path(re.search(r"faults log (\S+)", result.stdout).group(1))  # type: ignore[union-attr]
    assert '"action": "apply", "fault": "latency"' in log.read_text()
    assert '"action": "clear"' in log.read_text()
    leftovers = subprocess.run(["pgrep", "-f", "harness.load.faults"], capture_output=True, check=False)
    assert leftovers.stdout == b""
