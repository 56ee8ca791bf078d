"""memray in a tracked process (``harness/clients/drivers/memory_agent.py``): windows rotate, each closed
window is announced and readable while the process runs on, and SIGTERM closes the open window
before the process dies (a killed soak keeps what it measured). Plus the soak CLI's bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.soak import capture, cli

DRIVERS = Path(__file__).resolve().parents[4] / "harness" / "clients" / "drivers"
TRACKED = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from client_driver import emit
from memory_agent import MemoryAgent

kept = []

async def main():
    agent = MemoryAgent.from_environment(emit)
    agent.start(asyncio.get_running_loop())
    emit("ready")
    while True:  # a leak: 100 kB a second in 1 kB objects
        kept.extend(bytes(1000) for _ in range(10))
        await asyncio.sleep(0.1)

asyncio.run(main())
"""


def test_windows_rotate_and_sigterm_keeps_the_open_one(tmp_path: Path) -> None:
    env = {
        "FAULTLINE_MEMRAY_DIR": str(tmp_path / "windows"),
        "FAULTLINE_MEMRAY_WINDOW_S": "1",
        "FAULTLINE_MEMRAY_INTERVAL_MS": "100",
        "FAULTLINE_MEMRAY_PYALLOC": "1",
        "FAULTLINE_MEMRAY_GC_S": "0.5",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", TRACKED, str(DRIVERS)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    assert proc.stdout is not None
    events = []
    deadline = time.monotonic() + 30
    while len([e for e in events if e["event"] == "memory_window"]) < 2 and time.monotonic() < deadline:
        events.append(json.loads(proc.stdout.readline()))
    time.sleep(0.5)  # into window 2
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=20)
    events += [json.loads(line) for line in rest.splitlines()]
    assert proc.returncode == -signal.SIGTERM  # it still dies of the signal, after closing up
    windows = [e for e in events if e["event"] == "memory_window"]
    assert [w["window"] for w in windows] == [0, 1, 2]
    for w in windows:
        window = capture.read_window(Path(w["file"]), w["window"], w["start"], w["end"])
        assert window.heap, w
    second = capture.read_window(Path(windows[1]["file"]), 1, windows[1]["start"], windows[1]["end"])
    assert 70e3 <= second.leaked_bytes <= 160e3  # ~100 kB kept in its ~1 s
    assert "<genexpr>" in second.sites[0][0]


def test_memray_missing_is_said_not_fatal(tmp_path: Path) -> None:
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.modules['memray'] = None\n"
        "from client_driver import emit; from memory_agent import MemoryAgent\n"
        "print(MemoryAgent.from_environment(emit))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(DRIVERS)],
        capture_output=True,
        text=True,
        env={**os.environ, "FAULTLINE_MEMRAY_DIR": str(tmp_path)},
        check=True,
    )
    first, second = done.stdout.splitlines()
    assert json.loads(first)["event"] == "memory_error"
    assert second == "None"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--duration", "soon"], "is not a duration"),
        (["--leak", "callbacks:0"], "expected callbacks:N"),
        (["--leak", "rss:5"], "expected callbacks:N"),
        (["--max-slope", "lots"], "is not a size"),
        (["--client", "nope"], "invalid choice"),
        (["--duration", "10s", "--window", "20s"], "must be shorter than --duration"),
        (["--rate", "0"], "--rate must be above 0"),
    ],
)
def test_bad_flags_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_sizes_and_durations() -> None:
    assert cli.duration("24h") == 86400
    assert cli.duration("90") == 90
    assert cli.size("5MB") == 5e6
    assert cli.size("512k") == 512e3
