"""The harness's client for the control API against a real simulator process: it carries the token
the harness gave that simulator, raises the server's own message, and is bounded in time."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from harness.infra.processes import SimulatorProcess
from harness.infra.sim_control import ControlError, SimulatorControl
from signalr_protocol import Completion, Invocation

from ...conftest import connect


async def test_the_control_client_drives_a_simulator_the_harness_started(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    with SimulatorProcess("--demo-rate", "0", "--quote-rate", "50", "--history-file", str(history)) as sim:
        async with SimulatorControl(sim.url) as control:
            assert (await control.health())["ok"] is True
            fault_id = await control.add_fault("stop_pings", hub="market")
            await control.clear_fault(fault_id)
            with pytest.raises(ControlError, match="no active fault 999") as refused:
                await control.clear_fault(999)
            assert refused.value.status == 404
            with pytest.raises(ControlError, match="unknown fault") as bad:
                await control.add_fault("earthquake")
            assert bad.value.status == 400
            async with aiohttp.ClientSession() as http:
                client = await connect(http, sim.url)
                await client.send(Invocation("Echo", ["x"], "1"))
                assert await client.next_message() == Completion.with_result("1", "x")
                assert await control.flush_history() == str(history)
                [entry] = [json.loads(line) for line in history.read_text().splitlines()]  # no wait
                assert entry["type"] == 3


async def test_without_the_token_the_same_calls_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SimulatorProcess("--demo-rate", "0") as sim:
        monkeypatch.setattr("harness.infra.sim_control.control_headers", lambda url: {})
        async with SimulatorControl(sim.url) as control:
            assert (await control.health())["ok"] is True  # health carries no secret
            with pytest.raises(ControlError) as refused:
                await control.requests()
            assert refused.value.status == 401


async def test_a_control_api_that_does_not_answer_is_an_error_in_bounded_time() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, SimulatorControl(f"http://127.0.0.1:{port}", timeout_s=0.3) as control:
        with pytest.raises(ControlError, match="no answer"):
            await control.health()
