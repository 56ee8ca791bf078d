"""What ``connect()`` and the hub states say is true (R1, R8, R12, R14, R17)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import abc

import pytest
from aiohttp import web

from client import BackoffPolicy, ConnectError, HubState, InvocationError, RealtimeClient, StaticToken
from simulator.projectx import Gateway
from tests.polling import until

from .conftest import ACCOUNT, fast_config, server_subscriptions, tokens
from .netfault import FaultyLink


@pytest.fixture
async def closes_after_handshake(gateway: Gateway) -> abc.AsyncIterator[None]:
    """The market hub accepts the handshake, then closes every connection at once."""
    hub = gateway.market_hub
    original = hub.on_connected

    async def close_at_once(session):  # type: ignore[no-untyped-def]
        session.close("Hub is shutting down.", allow_reconnect=True)

    hub.on_connected = close_at_once  # type: ignore[method-assign]
    yield
    hub.on_connected = original  # type: ignore[method-assign]


async def test_r1_a_hub_that_fails_right_after_its_handshake_is_never_reported_connected(
    gateway: Gateway, closes_after_handshake: None
) -> None:
    seen: list[HubState] = []
    client = RealtimeClient(fast_config(gateway.server.url), tokens(gateway))
    client.on("state", lambda e: seen.append(HubState(e.data["to"])))
    try:
        with pytest.raises(ConnectError, match="market"):
            await client.connect(timeout_s=1.0)
        assert client.state("user") is HubState.CONNECTED
        assert client.state("market") in (HubState.CONNECTING, HubState.RECONNECTING)
        assert "Hub is shutting down." in (client.status()["market"]["lastError"] or "")
        await asyncio.sleep(0.1)
        market_states = [t["to"] for t in client.status()["market"]["transitions"]]
        assert "connected" not in market_states
    finally:
        await client.close()


async def test_r8_r14_connect_returns_within_its_timeout_when_negotiate_never_answers() -> None:
    hang = asyncio.Event()

    async def negotiate(request: web.Request) -> web.Response:
        await hang.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hubs/{hub}/negotiate", negotiate)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = RealtimeClient(
        fast_config(f"http://127.0.0.1:{port}", connect_timeout_s=0.3), StaticToken("t.e.st")
    )
    try:
        started = time.monotonic()
        with pytest.raises(ConnectError) as failure:
            await client.connect(timeout_s=1.0)
        assert time.monotonic() - started < 1.5  # the connect timeout, plus scheduling slack
        assert "not connected within 1.0 s" in str(failure.value)
        assert "attempt not finished within 0.3 s" in str(failure.value)
        started = time.monotonic()
        await client.close()
        assert time.monotonic() - started < 2.5
    finally:
        hang.set()
        await runner.cleanup()


async def test_r12_an_error_completion_is_an_invocation_error_not_a_lost_connection(
    gateway: Gateway, client: RealtimeClient
) -> None:
    await client.connect()
    with pytest.raises(InvocationError, match=r"Contract 'CON\.F\.US\.NOPE\.Z26' was not found") as failure:
        await client.subscribe_quotes("CON.F.US.NOPE.Z26")
    assert failure.value.target == "market"
    assert client.state("market") is HubState.CONNECTED
    assert client.metrics()["counters"]["invocation_errors"] == 1
    assert client.status()["market"]["desired"] == []  # a refused item does not come back


async def close_market(gateway: Gateway, *, error: str | None, allow_reconnect: bool) -> None:
    [session] = [s for s in gateway.server.sessions.values() if s.hub is gateway.market_hub]
    session.close(error, allow_reconnect=allow_reconnect)


async def test_r12_a_close_with_allow_reconnect_reconnects_and_without_it_fails_visibly(
    gateway: Gateway, client: RealtimeClient, contract: str
) -> None:
    await client.connect()
    await client.subscribe_quotes(contract)
    await close_market(gateway, error="Server restarting", allow_reconnect=True)
    await until(lambda: client.metrics()["counters"]["reconnects"] == 1, what="a reconnect")
    await until(lambda: client.state("market") is HubState.CONNECTED, what="market back")
    assert server_subscriptions(gateway, "market") == [["GatewayQuote", contract]]
    await close_market(gateway, error="Account disabled", allow_reconnect=False)
    await until(lambda: client.state("market") is HubState.FAILED, what="market failed")
    assert "Account disabled" in client.status()["market"]["lastError"]
    assert "allowReconnect=False" in client.status()["market"]["transitions"][-1]["reason"]
    assert client.state("user") is HubState.CONNECTED


async def test_r17_the_user_hub_keeps_streaming_while_the_market_hub_is_down(
    gateway: Gateway, client: RealtimeClient, links: dict[str, FaultyLink], contract: str
) -> None:
    orders: list[object] = []
    quotes: list[object] = []
    client.on("order", orders.append)
    client.on("quote", quotes.append)
    await client.connect()
    await client.subscribe_user(ACCOUNT)
    await client.subscribe_quotes(contract)
    links["market"].refuse()
    await until(lambda: client.state("market") is not HubState.CONNECTED, what="market lost")
    gateway.ledger.place(ACCOUNT, contract, order_type=2, side=0, size=1)
    await until(lambda: len(orders) >= 2, what="order events while the market hub is down")
    assert client.state("user") is HubState.CONNECTED
    links["market"].heal()
    await until(lambda: client.state("market") is HubState.CONNECTED, within_s=5, what="market back")
    count = len(quotes)
    await until(lambda: len(quotes) > count, what="quotes after the market hub came back")
    assert server_subscriptions(gateway, "market") == [["GatewayQuote", contract]]
    user_changes = [t["to"] for t in client.status()["user"]["transitions"]]
    assert user_changes == ["connecting", "connected"]  # the user hub never noticed


async def test_r4_a_hub_that_stays_down_fails_visibly_when_the_policy_gives_up() -> None:
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = BackoffPolicy(initial_s=0.01, max_s=0.05, max_attempts=4)
    client = RealtimeClient(fast_config(f"http://127.0.0.1:{port}", backoff=policy), StaticToken("t.e.st"))
    try:
        with pytest.raises(ConnectError, match="gave up after 4 attempts") as failure:
            await client.connect(timeout_s=5.0)
        assert {"user", "market"} == set(failure.value.hub.split(","))
        assert client.state("market") is HubState.FAILED
        assert client.state("user") is HubState.FAILED
        assert "gave up" in client.status()["market"]["transitions"][-1]["reason"]
    finally:
        await client.close()
