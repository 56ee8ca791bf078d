"""The real topstep-sdk 0.1.4, unpatched, pointed at the simulator by its own ``Config`` object
(``harness/clients/drivers/topstep_sdk_check.py``): every REST endpoint the SDK exposes answers
(none 404 or 405), both hubs connect, quotes, trades and depth arrive, and a market order placed
through the SDK brings its order, fill, position and account events.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.clients.registry import CLIENTS
from simulator import ServerConfig
from simulator.projectx import GatewayConfig, build_gateway

from .sdk_check import run_check

pytestmark = pytest.mark.interop

NAME = "topstep-sdk-0.1.4"
# Every REST endpoint topstep-sdk 0.1.4 exposes (its resources/ and _http.py), as method and path.
ENDPOINTS = {
    ("GET", "/api/Status/ping"),
    ("POST", "/api/Auth/loginKey"),
    ("POST", "/api/Auth/validate"),
    ("POST", "/api/Account/search"),
    ("POST", "/api/Contract/search"),
    ("POST", "/api/Contract/searchById"),
    ("POST", "/api/Contract/available"),
    ("POST", "/api/History/retrieveBars"),
    ("POST", "/api/Order/search"),
    ("POST", "/api/Order/searchOpen"),
    ("POST", "/api/Order/searchById"),
    ("POST", "/api/Order/v2/query"),
    ("POST", "/api/Order/place"),
    ("POST", "/api/Order/cancel"),
    ("POST", "/api/Order/modify"),
    ("POST", "/api/Position/searchOpen"),
    ("POST", "/api/Position/closeContract"),
    ("POST", "/api/Position/partialCloseContract"),
    ("POST", "/api/Trade/search"),
}


async def test_topstep_sdk_calls_every_endpoint_and_streams_against_the_simulator(tmp_path: Path) -> None:
    env = CLIENTS[NAME]
    gateway = build_gateway(ServerConfig(), GatewayConfig())
    async with gateway.server as server:
        events = await run_check(env, server.url, tmp_path / f"{NAME}.log")
        hub_records = [r for r in server.records.values() if r.hub in ("user", "market")]
    log = (tmp_path / f"{NAME}.log").read_text()[-3000:]
    by_name = {e["event"]: e for e in events}
    assert "exception" not in by_name, f"{by_name.get('exception')}\n{log}"
    calls = {e["name"]: e for e in events if e["event"] == "call"}
    failed = [(e["name"], e["error"]) for e in events if e["event"] == "call" and not e["ok"]]
    assert not failed, failed
    requests = by_name["requests"]["requests"]
    refused = [r for r in requests if r["status"] in (404, 405)]
    assert not refused, f"endpoints the simulator does not serve: {refused}"
    assert all(r["status"] == 200 for r in requests), requests
    assert {(r["method"], r["path"]) for r in requests} == ENDPOINTS

    assert calls["ping"]["result"] == "pong"
    assert calls["accounts.search"]["result"] == [12345]
    contract = calls["contracts.search"]["result"][0]
    assert contract.startswith("CON.F.US.MNQ.")
    assert calls["contracts.search_by_id"]["result"] == contract
    assert calls["history.retrieve_bars"]["result"] > 0
    assert calls["orders.wait_for_fill"]["result"] == 2  # FILLED
    assert calls["orders.query"]["result"]["orders"] >= 1
    assert calls["orders.cancel_all"]["result"]  # it found the working limit order and cancelled it
    assert calls["positions.close_all"]["result"] == [contract]

    connected = by_name["connected"]
    assert (connected["market"], connected["user"]) == (True, True)
    counts = by_name["counts"]["counts"]
    for kind in ("quote", "trade", "depth", "account", "position", "user_trade"):
        assert counts.get(kind, 0) >= 1, (kind, counts)
    assert counts["order"] >= 2  # pending, then filled
    sequence = [e["kind"] for e in events if e["event"] == "callback"][:5]
    assert sequence == ["order", "order", "user_trade", "position", "account"]
    assert by_name["stopped"]["seconds"] < 1.0
    # No negotiate: straight to the WebSocket, the JWT in the URL (its docstring's skipNegotiation).
    assert {r.hub for r in hub_records} == {"user", "market"}
    assert all(r.upgrade.token.source == "query" for r in hub_records)
