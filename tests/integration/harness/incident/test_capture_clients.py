"""The capture proxy in front of every client under test (each registered kind, and the reference
client over MessagePack too): the client works through it as it works direct (connected, streams
delivered), and the capture holds each hub's opening, the client's subscriptions, the server's
stream events decoded, and no secret.

Slow (every client's venv, one short session each): ``make test`` runs it.
"""

from __future__ import annotations

import asyncio
from collections import abc
from pathlib import Path
from typing import Any

import orjson
import pytest

from harness.chaos import ChaosRun
from harness.clients.registry import KINDS
from harness.incident.example import capture_session
from harness.infra.gateway import API_KEY
from harness.infra.toxiproxy import ToxiproxyServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
CASES = [(name, None) for name in KINDS] + [("reference", {"protocol": "messagepack"})]


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory: pytest.TempPathFactory) -> abc.Iterator[ToxiproxyServer]:
    with ToxiproxyServer(log_path=tmp_path_factory.mktemp("toxiproxy") / "toxiproxy.log") as server:
        yield server


async def session(
    client: str, config: dict[str, Any] | None, url: str, directory: Path, out: Path
) -> ChaosRun:
    async with ChaosRun("captured", 1, directory, url, client=client) as run:
        run.record(await capture_session(run, out, (), length_s=3.0, client_config=config))
    return run


@pytest.mark.parametrize(
    ("client", "config"), CASES, ids=[f"{n}-{c['protocol']}" if c else n for n, c in CASES]
)
def test_every_client_works_through_the_capture_and_is_recorded(
    client: str, config: dict[str, Any] | None, toxiproxy: ToxiproxyServer, tmp_path: Path
) -> None:
    out = tmp_path / "capture.jsonl"
    run = asyncio.run(session(client, config, toxiproxy.url, tmp_path / "run", out))
    assert run.verdict_statuses["connected_at_end"] == "pass", run.verdict_statuses
    assert run.verdict_statuses["no_silent_stall"] != "fail", run.verdict_statuses
    text = out.read_text()
    assert "eyJ" not in text
    assert API_KEY not in text
    entries = [orjson.loads(line) for line in text.splitlines()]
    opened = {e["hub"] for e in entries if e["kind"] == "open" and e["status"] == 101}
    assert opened == {"user", "market"}
    asked = {
        e["target"] for e in entries if e["kind"] == "record" and e["from"] == "client" and "target" in e
    }
    assert any(t.startswith("Subscribe") for t in asked), asked
    sent = {e.get("target") for e in entries if e["kind"] == "record" and e["from"] == "server"}
    assert {"GatewayQuote", "GatewayDepth"} <= sent, sent
    protocols = {
        e.get("protocol") for e in entries if e["kind"] == "record" and e["type"] == "handshake_request"
    }
    assert protocols == {config["protocol"]} if config else len(protocols) == 1, protocols
    assert entries[-1]["kind"] == "end"
