"""Out-of-process adapters: the whole-client protocol carries everything the checkers need (the
reference client behind it, against a real simulator), and a client process that hangs is still
reaped, in bounded time, with how it ended in the history."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import abc
from pathlib import Path

import pytest

from harness.clients.envs import DRIVERS
from harness.clients.process_adapters import DriverAdapter
from harness.infra.processes import SimulatorProcess
from harness.run.history import RunHistory

HANGS = """
import json, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a client stuck in a C call ignores it too
print(json.dumps({"event": "ready", "t": time.time()}), flush=True)
print(json.dumps({"level": "INFO", "message": "a client logging JSON to stdout"}), flush=True)
print("and plain text", flush=True)
while True:
    time.sleep(1)  # never answers a command
"""


@pytest.fixture
def simulator(tmp_path: Path) -> abc.Iterator[SimulatorProcess]:
    with SimulatorProcess(
        "--keep-alive", "0.5", "--symbols", "MNQ", "--quote-rate", "20", "--log-level", "WARNING",
        log_path=tmp_path / "simulator.log",
    ) as process:  # fmt: skip
        yield process


async def test_the_reference_client_behind_the_protocol_reports_events_states_and_metrics(
    simulator: SimulatorProcess, tmp_path: Path
) -> None:
    history = RunHistory()
    url = simulator.url
    argv = [sys.executable, str(DRIVERS / "reference_client.py"), "--base", url,
            "--user-hub", f"{url}/hubs/user", "--market-hub", f"{url}/hubs/market"]  # fmt: skip
    adapter = DriverAdapter("reference-process", argv, history, tmp_path / "client.log")
    await adapter.start()
    try:
        outcome = await adapter.connect(timeout_s=5.0)
        assert outcome.ok, outcome
        assert await adapter.subscribe("quotes", "CON.F.US.MNQ.Z26")
        assert not await adapter.subscribe("quotes", "CON.F.US.NOPE.Z26")  # refused, and said so
        handle = await adapter.add_callback("quote", "noop")
        assert adapter.callback_count("quote") == 1
        await adapter.process.wait_for(
            lambda e: e["event"] == "metrics" and e["counters"].get("callback_calls", 0) >= 5, 5.0, "calls"
        )
        await adapter.remove_callback(handle)
        assert adapter.callback_count("quote") == 0
        assert adapter.state("market") == "connected"
    finally:
        await adapter.close()
    quotes = history.client_events("quote")
    assert len(quotes) >= 5
    assert all(q["seq"] is not None and q["target"] == "GatewayQuote" for q in quotes)
    assert [q["seq"] for q in quotes] == sorted(q["seq"] for q in quotes)
    states = [(e["hub"], e["data"]["to"]) for e in history.client_events("state")]
    assert ("market", "connected") in states
    assert history.client_events("metrics")[-1]["tasks"] is not None
    # what the client measures of itself crosses the process boundary (the report charts it)
    assert any(e.get("loop_lag_ms") is not None for e in history.client_events("metrics"))
    assert adapter.callback_calls() >= 5
    [shutdown] = history.client_events("adapter_shutdown")
    assert shutdown["how"] == "exited"


async def test_a_client_process_that_hangs_is_killed_in_bounded_time_and_that_is_recorded(
    tmp_path: Path,
) -> None:
    script = tmp_path / "hangs.py"
    script.write_text(HANGS)
    history = RunHistory()
    adapter = DriverAdapter(
        "hangs",
        [sys.executable, str(script)],
        history,
        tmp_path / "hangs.log",
        command_timeout_s=0.5,
        shutdown_s=0.5,
    )
    await adapter.start()
    outcome = await adapter.connect()
    assert not outcome.ok
    assert "no answer within 0.5 s" in outcome.detail
    assert any(e["event"] == "garbage" for e in adapter.process.events)  # stdout noise is not fatal
    started = time.monotonic()
    await adapter.close()
    assert time.monotonic() - started < 5.0
    assert not adapter.process.running
    assert [e["how"] for e in history.client_events("adapter_shutdown")] == ["killed"]
    assert [e["command"] for e in history.client_events("hung")] == ["connect", "close"]


def test_an_unknown_client_is_a_usage_error_naming_the_choices() -> None:
    root = Path(__file__).resolve().parents[4]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios", "--collect-only", "-q", "-p", "no:cacheprovider",
         "--client", "reference,nope"],
        cwd=root, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 4, result.stdout[-1000:]
    assert "unknown client 'nope'" in result.stderr
    assert "cmd:COMMAND" in result.stderr
