"""Dead links are found by the client itself, and tokens stay fresh and private (R2, R3, R11, R18)."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest
from aiohttp import web

from client import GatewayTokens, HeartbeatPolicy, HubState, OperationTimeout, RealtimeClient
from simulator.projectx import Gateway
from tests.polling import until

from .conftest import fast_config, server_subscriptions, tokens
from .netfault import FaultyLink


def through(links: dict[str, FaultyLink], gateway: Gateway, **changes: object) -> RealtimeClient:
    config = fast_config(
        gateway.server.url,
        user_hub_url=links["user"].url("/hubs/user"),
        market_hub_url=links["market"].url("/hubs/market"),
        **changes,
    )
    return RealtimeClient(config, tokens(gateway))


def lost_at(client: RealtimeClient, hub: str) -> float | None:
    for change in client.status()[hub]["transitions"]:
        if change["from"] == "connected":
            return float(change["at"])
    return None


async def detect_blackhole_and_recover(
    gateway: Gateway, links: dict[str, FaultyLink], client: RealtimeClient, contract: str
) -> float:
    """Blackhole the market link; return how long the client took to notice. Then heal it and
    check that the client resubscribed and quotes flow again."""
    quotes: list[object] = []
    client.on("quote", quotes.append)
    await client.connect()
    await client.subscribe_quotes(contract)
    await until(lambda: len(quotes) > 3, what="quotes")
    loop = asyncio.get_running_loop()
    cut = loop.time()
    links["market"].blackhole()
    await until(lambda: lost_at(client, "market") is not None, within_s=5, what="the client noticing")
    detected = (lost_at(client, "market") or 0) - cut
    links["market"].heal()
    await until(lambda: client.state("market") is HubState.CONNECTED, within_s=5, what="reconnected")
    count = len(quotes)
    await until(lambda: len(quotes) > count, what="quotes after the link healed")
    await until(
        lambda: ["GatewayQuote", contract] in server_subscriptions(gateway, "market"), what="resubscribed"
    )
    assert client.state("user") is HubState.CONNECTED
    return detected


async def test_r2_a_half_open_link_is_detected_by_the_server_timeout_within_its_bound(
    gateway: Gateway, links: dict[str, FaultyLink], contract: str
) -> None:
    client = through(links, gateway, server_timeout_s=0.6, heartbeat=HeartbeatPolicy(method=None))
    try:
        detected = await detect_blackhole_and_recover(gateway, links, client, contract)
        assert 0.5 <= detected < 0.6 + 0.5  # the timeout, never before it, plus scheduling slack
        assert "peer_timeout" in (client.status()["market"]["transitions"][-2]["reason"] or "")
    finally:
        await client.close()


async def test_r18_a_silent_hub_is_detected_by_the_application_heartbeat(
    gateway: Gateway, links: dict[str, FaultyLink], contract: str
) -> None:
    heartbeat = HeartbeatPolicy(interval_s=0.1, timeout_s=0.3)
    client = through(links, gateway, server_timeout_s=30.0, heartbeat=heartbeat)
    try:
        detected = await detect_blackhole_and_recover(gateway, links, client, contract)
        assert detected < 0.1 + 0.3 + 0.5  # interval + timeout + slack, far below the 30 s timeout
        assert client.metrics()["counters"]["heartbeat_failures"] >= 1
        assert client.metrics()["windows"]["heartbeat_rtt_ms"]["n"] > 0
    finally:
        await client.close()


async def test_r3_an_expired_token_is_replaced_on_reconnect(
    gateway: Gateway, client: RealtimeClient, contract: str
) -> None:
    await client.connect()
    await client.subscribe_quotes(contract)
    first = {r.upgrade.token.fingerprint for r in gateway.server.records.values()}
    gateway.tokens.expire()  # every token, as if the day ran out
    for session in list(gateway.server.sessions.values()):
        session.abort()  # and the connections drop
    await until(lambda: client.metrics()["counters"]["reconnects"] >= 2, within_s=5, what="reconnects")
    await until(lambda: client.state("market") is HubState.CONNECTED, within_s=5, what="market back")
    await until(lambda: client.state("user") is HubState.CONNECTED, within_s=5, what="user back")
    now_open = {r.upgrade.token.fingerprint for r in gateway.server.records.values() if r.is_open}
    assert now_open
    assert not now_open & first  # every reconnect presented a fresh token
    assert ["GatewayQuote", contract] in server_subscriptions(gateway, "market")


async def test_r3_a_refresh_that_hangs_is_bounded_and_leaves_no_half_state() -> None:
    hang = asyncio.Event()

    async def login(request: web.Request) -> web.Response:
        await hang.wait()
        return web.json_response({"success": True, "token": "x.y.z"})

    app = web.Application()
    app.router.add_post("/api/Auth/loginKey", login)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    provider = GatewayTokens(f"http://127.0.0.1:{runner.addresses[0][1]}", "sim", "key", timeout_s=0.3)
    try:
        started = time.monotonic()
        results = await asyncio.gather(provider.token(), provider.token(), return_exceptions=True)
        assert time.monotonic() - started < 1.0
        assert all(isinstance(r, OperationTimeout) for r in results)  # both callers, one request
        assert provider.refreshes == 0
    finally:
        hang.set()
        await provider.close()
        await runner.cleanup()


async def test_r11_the_token_travels_only_in_the_authorization_header(
    gateway: Gateway, client: RealtimeClient, contract: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await client.connect()
    await client.subscribe_quotes(contract)
    records = list(gateway.server.records.values())
    assert {r.hub for r in records} == {"user", "market"}
    for record in records:
        assert record.upgrade.token.source == "header"
        assert record.negotiate is not None
        assert record.negotiate.token.source == "header"
    assert gateway.tokens.select()  # tokens were issued and used
    assert not re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", caplog.text)  # and no JWT was ever logged
