"""projectx-sdk 0.2.39 (PyPI), unpatched, against the simulator's default settings: log in, accounts,
contracts, bars, both hubs, quotes/trades/depth, the order/trade/position/account events of a
market order placed through the SDK, and every REST endpoint the SDK has, each with the HTTP status
it got. What this SDK does wrong shows here too, as measured: every market event reaches its
callback twice, ``contracts.search_by_id`` finds nothing, and ``stop()`` is followed by a
reconnect of both hubs 5 s later.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from harness.clients.registry import CLIENTS
from simulator import ServerConfig
from simulator.projectx import GatewayConfig, build_gateway

from .sdk_check import run_check

pytestmark = pytest.mark.interop

NAME = "projectx-sdk-0.2.39"
# Every /api path in the SDK (projectx_sdk/utils/constants.py, endpoints/*.py): the check calls each.
ENDPOINTS = {
    "/api/Auth/loginKey",
    "/api/Auth/loginApp",
    "/api/Auth/validate",
    "/api/Account/search",
    "/api/Contract/search",
    "/api/Contract/searchById",
    "/api/History/retrieveBars",
    "/api/Order/search",
    "/api/Order/searchOpen",
    "/api/Order/place",
    "/api/Order/cancel",
    "/api/Order/modify",
    "/api/Position/searchOpen",
    "/api/Position/closeContract",
    "/api/Position/partialCloseContract",
    "/api/Trade/search",
}
# Application login: the simulator knows no authorized application and refuses it as the Gateway
# refuses an unknown one (HTTP 200, errorCode 4, docs/gateway-api.md); the SDK raises that refusal.
REFUSED = {"/api/Auth/loginApp"}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the check, which every test below reads."""
    log = tmp_path_factory.mktemp("projectxsdk") / "check.log"
    return {**asyncio.run(check(log)), "log": log.read_text()[-3000:]}


async def check(log: Path) -> dict[str, Any]:
    gateway = build_gateway(ServerConfig(), GatewayConfig())
    async with gateway.server as server:
        events = await run_check(CLIENTS[NAME], server.url, log)
        records = list(server.records.values())
        sent = [getattr(m, "target", None) for r in records for _, way, m in r.messages if way == "out"]
    return {"events": events, "sent": sent, "records": records}


def by_name(checked: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["event"]: e for e in checked["events"]}


def endpoints(checked: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    calls: dict[str, list[dict[str, Any]]] = {}
    for e in checked["events"]:
        if e["event"] == "endpoint":
            calls.setdefault(e["path"], []).append(e)
    return calls


def test_sdk_runs_unchanged_against_the_simulator(checked: dict[str, Any]) -> None:
    events = by_name(checked)
    assert "exception" not in events, f"{events.get('exception')}\n{checked['log']}"
    assert events["accounts"]["ids"] == [12345]
    assert events["contract"]["id"].startswith("CON.F.US.MNQ.")
    assert events["bars"]["count"] > 0
    assert events["connected"]["result"] is True
    assert isinstance(events["order_placed"]["order_id"], int)
    counts = events["counts"]["counts"]
    for name in ("quote", "trade", "depth", "order", "user_trade", "position", "account"):
        assert counts.get(name, 0) >= 1, (name, counts)
    sequence = [e["name"] for e in checked["events"] if e["event"] == "callback"]
    assert sequence[:5] == ["order", "order", "user_trade", "position", "account"]
    hubs = {r.hub for r in checked["records"] if r.hub in ("user", "market")}
    assert hubs == {"user", "market"}


def test_every_endpoint_it_calls_is_served(checked: dict[str, Any]) -> None:
    calls = endpoints(checked)
    assert set(calls) == ENDPOINTS, set(calls) ^ ENDPOINTS
    statuses = {path: [e["status"] for e in lines] for path, lines in calls.items()}
    assert all(None not in s for s in statuses.values()), statuses
    refused = {p: s for p, s in statuses.items() if {404, 405} & set(s)}
    assert not refused, refused
    failed = {p: e["error"] for p, lines in calls.items() for e in lines if not e["ok"] and p not in REFUSED}
    assert not failed, failed


def test_application_login_is_refused_as_for_an_unknown_app(checked: dict[str, Any]) -> None:
    [call] = endpoints(checked)["/api/Auth/loginApp"]
    assert call["status"] == 200
    assert not call["ok"]


def test_market_events_reach_the_callback_twice(checked: dict[str, Any]) -> None:
    """Its market handlers are registered on signalrcore twice (realtime/connection.py:275-276 and
    429-431): each quote, trade and depth message runs the user's callback two times."""
    counts = by_name(checked)["counts"]["counts"]
    sent = {t: checked["sent"].count(t) for t in ("GatewayQuote", "GatewayDepth")}
    # Received counts are taken a moment before the hubs stop: at least twice what was sent by then.
    assert counts["quote"] % 2 == 0
    assert counts["depth"] % 2 == 0
    assert counts["quote"] >= 2 * (sent["GatewayQuote"] - 8), (counts, sent)
    assert counts["depth"] >= 2 * (sent["GatewayDepth"] - 8), (counts, sent)


def test_search_by_id_reads_the_wrong_key(checked: dict[str, Any]) -> None:
    """The server answers ``contract`` (the swagger's key); the SDK reads ``contracts``
    (endpoints/contract.py:39-42) and so returns None for a contract that exists."""
    (call,) = endpoints(checked)["/api/Contract/searchById"]
    assert call["status"] == 200
    assert by_name(checked)["contract_by_id"]["found"] is False


def test_after_a_reconnect_the_market_is_silent_and_user_events_are_dropped(checked: dict[str, Any]) -> None:
    """The server closes both hubs; the SDK reconnects them 5 s later. The user hub is resubscribed,
    but its handlers were put on the old signalrcore connection only (realtime/user_hub.py:101-115):
    the order's events reach the new connection and no callback. The market hub is not resubscribed
    at all (only the user hub hooks the open callback, realtime/user_hub.py:48-50)."""
    events = by_name(checked)
    reconnected = events["reconnected"]
    assert reconnected["hubs"] == ["market", "user"]
    assert reconnected["subscriptions"]["market"] == []
    assert len(reconnected["subscriptions"]["user"]) == 4
    after = events["after_reconnect"]
    assert after["now"] == after["since"], after  # no callback at all on the new connections
    new_user = [
        r
        for r in checked["records"]
        if r.hub == "user" and reconnected["t"] - 2.0 < r.opened_at < reconnected["t"]
    ]
    orders_sent = [
        m for r in new_user for _, way, m in r.messages if getattr(m, "target", None) == "GatewayUserOrder"
    ]
    assert orders_sent, "the server sent the order's events to the reconnected user hub"


def test_stop_is_followed_by_a_reconnect_of_both_hubs(checked: dict[str, Any]) -> None:
    """stop() closes the sockets, and each close starts the SDK's reconnect 5 s later
    (realtime/connection.py:440-447): both hubs are connected again, and the server saw it."""
    events = by_name(checked)
    assert events["stopped"]["seconds"] < 1.0
    assert events["after_stop"]["connected"] == [True, True]
    stopped_at = events["stopped"]["t"]
    later = [r for r in checked["records"] if r.hub in ("user", "market") and r.opened_at > stopped_at]
    assert len(later) == 2
    assert {r.hub for r in later} == {"user", "market"}
