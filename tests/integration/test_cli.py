"""``python -m simulator`` as users and the harness run it: a real process, real signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import aiohttp
import pytest

from harness.errors import ProcessError
from harness.processes import ManagedProcess, SimulatorProcess
from signalr_protocol import Close

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
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        # the child may linger as a zombie until init reaps it; it must at least not be running
        with open(f"/proc/{pid}/stat") as stat:
            assert stat.read().split()[2] == "Z"


def test_a_log_nobody_asked_for_is_removed_on_stop_and_errors_keep_its_tail() -> None:
    with SimulatorProcess("--demo-rate", "0") as sim:
        assert sim.log_path.exists()
    assert not sim.log_path.exists()
    crash = ManagedProcess([sys.executable, "-c", "print('boom', flush=True)"], ready_pattern="^never$")
    with pytest.raises(ProcessError, match="boom"):
        crash.start()
    assert not crash.log_path.exists()
