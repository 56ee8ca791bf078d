"""``python -m simulator`` as users and the harness run it: a real process, real signals."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from harness.errors import ProcessError
from harness.infra.processes import ManagedProcess, SimulatorProcess, control_headers
from signalr_protocol import Close, Completion, Invocation

from .conftest import connect


def run_cli(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *flags], capture_output=True, text=True, timeout=30, check=False
    )


def test_first_line_is_the_real_url_and_sigterm_exits_0() -> None:
    with SimulatorProcess("--demo-rate", "0") as sim:
        assert sim.url.startswith("http://127.0.0.1:")
        assert not sim.url.endswith(":0")
        assert sim.log_path.read_text().splitlines()[0] == f"listening on {sim.url}"
    assert sim.exit_code == 0
    assert not sim.killed


async def test_sigterm_closes_open_connections_with_allow_reconnect() -> None:
    with SimulatorProcess("--demo-rate", "0") as sim:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.url)
            assert sim.pid is not None
            os.kill(sim.pid, signal.SIGTERM)
            assert await client.next_message() == Close(None, allow_reconnect=True)
            assert await client.ws_close_code() == 1000
    assert sim.exit_code == 0


@pytest.mark.parametrize(
    ("flags", "complaint"),
    [
        (["--port", "70000"], "port out of range"),
        (["--keep-alive", "-1"], "must be greater than 0"),
        (["--client-timeout", "soon"], "not a number"),
        (["--keep-alive", "nan"], "must be a finite number"),
        (["--client-timeout", "inf"], "must be a finite number"),
        (["--replay-speed", "1e308"], "must be a finite number at most"),
        (["--no-such-flag"], "unrecognized arguments"),
        (["--log-level", "LOUD"], "invalid choice"),
    ],
)
def test_bad_flags_exit_2_with_usage(flags: list[str], complaint: str) -> None:
    result = run_cli(*flags)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m simulator")
    assert complaint in result.stderr
    assert result.stdout == ""


def test_port_in_use_exits_1_with_the_reason() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "in use" in result.stderr
    assert result.stdout == ""


def test_a_process_that_never_becomes_ready_is_killed_and_reported() -> None:
    proc = ManagedProcess(
        [sys.executable, "-c", "import time; print('starting', flush=True); time.sleep(60)"],
        ready_pattern="^never$",
        ready_timeout_s=0.5,
        stop_timeout_s=0.5,
    )
    with pytest.raises(ProcessError, match=r"not ready within 0\.5 s") as failure:
        proc.start()
    assert "starting" in str(failure.value)
    assert proc.exit_code is not None
    assert proc.pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(proc.pid, 0)


def test_stop_kills_a_process_that_ignores_sigterm_and_its_children() -> None:
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print('child', child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = ManagedProcess([sys.executable, "-c", script], ready_pattern=r"^child (\d+)$", stop_timeout_s=0.5)
    child_pid = int(proc.start().group(1))
    proc.stop()
    assert proc.killed
    for pid in (proc.pid, child_pid):
        assert pid is not None
        assert gone_or_zombie(pid, within_s=2.0), f"process {pid} still running after stop()"


def gone_or_zombie(pid: int, within_s: float) -> bool:
    """SIGKILL is delivered asynchronously: a killed process may show as running for a moment.
    An orphaned child may linger as a zombie until init reaps it; it must at least not run."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def test_a_log_nobody_asked_for_is_removed_on_stop_and_errors_keep_its_tail() -> None:
    with SimulatorProcess("--demo-rate", "0") as sim:
        assert sim.log_path.exists()
    assert not sim.log_path.exists()
    crash = ManagedProcess([sys.executable, "-c", "print('boom', flush=True)"], ready_pattern="^never$")
    with pytest.raises(ProcessError, match="boom"):
        crash.start()
    assert not crash.log_path.exists()


PROFILE = """
seed = 7
symbols = ["MNQ", "MES"]
quote-rate = 10
depth-rate = 3

[rates.MNQ]
trade = 40

[[burst]]
factor = 5
duration = 2
every = 60
events = ["trade"]
"""


async def test_a_profile_file_sets_the_stream_and_flags_win_over_it(tmp_path: Path) -> None:
    profile = tmp_path / "busy.toml"
    profile.write_text(PROFILE)
    with SimulatorProcess("--profile", str(profile), "--quote-rate", "12", "--demo-rate", "0") as sim:
        async with (
            aiohttp.ClientSession(headers=control_headers(sim.url)) as http,
            http.get(f"{sim.url}/_sim/market/rates") as r,
        ):
            rates = await r.json()
    assert rates["default"] == {"quote": 12, "trade": 2, "depth": 3}
    assert rates["overrides"] == {"MNQ": {"trade": 40}}
    assert rates["bursts"] == [
        {"factor": 5, "durationS": 2, "startS": 0, "everyS": 60, "contracts": None, "events": ["trade"]}
    ]
    assert sorted(cid.split(".")[3] for cid in rates["now"]) == ["MES", "MNQ"]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("quote-rat = 1", "unknown key 'quote-rat'"),
        ("quote-rate = -1", "quote-rate: must not be negative"),
        ("symbols = ['XYZ']", "unknown symbol"),
        ("no-coalesce = 'yes'", "expected true or false"),
        ("[rates.MNQ]\nquotes = 1", "unknown event kind"),
        ("[[burst]]\nfactor = 2", "'duration' is required"),
        ("quote-rate = ", "profile"),
        ("seed = 7.5", "seed: invalid literal"),
    ],
)
def test_a_bad_profile_exits_2_naming_the_key(tmp_path: Path, text: str, complaint: str) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(text)
    result = run_cli("--profile", str(profile))
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m simulator")
    assert complaint in result.stderr


@pytest.mark.parametrize(
    ("flags", "complaint"),
    [
        (["--burst", "factor=2"], "'duration' is required"),
        (["--burst", "factor=2,duration"], "expected key=value"),
        (["--rates", "MNQ"], "expected SYMBOL:kind=rate"),
        (["--rates", "MNQ:quote=-2"], "must be a number in"),
        (["--rate-limits", "bars=fast"], "expected bars=N/S"),
        (["--profile", "/nonexistent/p.toml"], "no such file"),
        (["--history-file", "/nonexistent/dir/h.jsonl"], "no such directory"),
        (["--months", "0"], "must be greater than 0"),
    ],
)
def test_bad_stream_flags_exit_2(flags: list[str], complaint: str) -> None:
    result = run_cli(*flags)
    assert result.returncode == 2
    assert complaint in result.stderr


def test_record_refuses_to_overwrite_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "keep.jsonl"
    existing.write_text("precious\n")
    result = run_cli("--record", str(existing))
    assert result.returncode == 2
    assert "exists" in result.stderr
    assert existing.read_text() == "precious\n"


@pytest.mark.parametrize(
    ("flags", "complaint"),
    [
        (["--rates", "ES:quote=5"], "'ES' is not one of the listed symbols"),
        (["--burst", "factor=2,duration=1,contracts=CON.F.US.NQ.Z26"], "is not one of the listed"),
        (["--record", "/tmp/faultline-never-a.jsonl", "--replay", __file__], "cannot be combined"),
    ],
)
def test_contradictory_stream_flags_exit_2(flags: list[str], complaint: str) -> None:
    result = run_cli(*flags)
    assert result.returncode == 2
    assert complaint in result.stderr


async def test_record_then_replay_as_processes_and_the_history_file_survives_sigterm(tmp_path: Path) -> None:
    recording, history = tmp_path / "session.jsonl", tmp_path / "history.jsonl"
    with SimulatorProcess(
        "--quote-rate", "100", "--record", str(recording), "--history-file", str(history), "--demo-rate", "0"
    ) as sim:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.url)
            await client.send(Invocation("Echo", ["hello"], "1"))
            assert await client.next_message() == Completion.with_result("1", "hello")
            await asyncio.sleep(0.5)
    assert sim.exit_code == 0
    events = [json.loads(line) for line in recording.read_text().splitlines()]  # every line whole
    assert sum(1 for e in events if e["target"] == "GatewayQuote") >= 20
    sent = [json.loads(line) for line in history.read_text().splitlines()]
    assert {"hub": "demo", "type": 3, "target": None} in [
        {k: e[k] for k in ("hub", "type", "target")} for e in sent
    ]
    with SimulatorProcess("--replay", str(recording), "--replay-speed", "10", "--demo-rate", "0") as sim:
        async with aiohttp.ClientSession(headers=control_headers(sim.url)) as http:

            async def replay_status() -> dict:
                async with http.get(f"{sim.url}/_sim/replay") as r:
                    return (await r.json())["replay"]

            async with asyncio.timeout(10):
                while not (status := await replay_status())["done"]:  # noqa: ASYNC110 - another process
                    await asyncio.sleep(0.05)
    assert status["error"] is None
    assert status["sent"] == sum(1 for e in events if not e.get("snapshot"))


def test_a_started_process_dies_with_a_harness_that_is_killed(tmp_path: Path) -> None:
    """Not a failing test but a killed one (a CI timeout): the simulator must not be orphaned."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from harness.infra.processes import SimulatorProcess\n"
        f"sim = SimulatorProcess('--demo-rate', '0', log_path=Path({str(tmp_path / 'simulator.log')!r}))\n"
        "sim.start()\n"
        "print(sim.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    harness = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert harness.stdout is not None
    child = int(harness.stdout.readline())
    harness.kill()  # SIGKILL: no cleanup code runs
    harness.wait(10)
    assert gone_or_zombie(child, within_s=10.0), f"simulator {child} outlived the killed harness"
