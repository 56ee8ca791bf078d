"""The Gateway's control routes: tokens by fingerprint, live market rates, streams, subscriptions."""

import asyncio
from collections import abc

import aiohttp
import pytest

from signalr_protocol import JSON, Completion, Invocation
from simulator import ServerConfig
from simulator.projectx import Gateway, GatewayConfig, build_gateway

from ..polling import until
from .conftest import RawHubClient
from .test_projectx_rest import login, post


@pytest.fixture
async def gateway() -> abc.AsyncIterator[Gateway]:
    gw = build_gateway(ServerConfig(), GatewayConfig(quote_rate_per_s=50, trade_rate_per_s=20))
    async with gw.server:
        yield gw


async def market_client(http: aiohttp.ClientSession, gw: Gateway, token: str) -> RawHubClient:
    async with http.post(f"{gw.server.url}/hubs/market/negotiate", params={"access_token": token}) as r:
        connection_id = (await r.json())["connectionId"]
    ws = await http.ws_connect(
        f"{gw.server.url}/hubs/market", params={"id": connection_id, "access_token": token}
    )
    client = RawHubClient(ws, JSON)
    await client.handshake()
    return client


async def control(
    http: aiohttp.ClientSession, gw: Gateway, method: str, path: str, body: object = None
) -> tuple[int, dict]:
    async with http.request(method, f"{gw.server.url}/_sim/{path}", json=body) as r:
        return r.status, await r.json()


async def test_expiring_the_token_a_connection_presented_locks_it_out(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    token = await login(http, gateway)
    client = await market_client(http, gateway, token)
    [record] = gateway.server.records.values()
    fingerprint = record.upgrade.token.fingerprint
    _, tokens = await control(http, gateway, "GET", "tokens")
    assert [t["fingerprint"] for t in tokens["tokens"]] == [fingerprint]
    assert await control(http, gateway, "POST", "tokens/expire", {"fingerprint": fingerprint}) == (
        200,
        {"expired": 1},
    )
    assert (await post(http, gateway, "Account/search", {}, token))[0] == 401
    async with http.post(f"{gateway.server.url}/hubs/market/negotiate", params={"access_token": token}) as r:
        assert r.status == 401
    await client.ws.close()


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("tokens/expire", {"fingerprint": "sha256:nope"}, 404),
        ("tokens/expire", {"inS": -1}, 400),
        ("tokens/revoke", {"fingerprint": 7}, 400),
        ("market/rates", {"quotePerS": -1}, 400),
        ("market/rates", {"tradePerS": "fast"}, 400),
    ],
)
async def test_bad_control_input_is_refused(
    gateway: Gateway, http: aiohttp.ClientSession, path: str, body: object, status: int
) -> None:
    await login(http, gateway)
    assert (await control(http, gateway, "POST", path, body))[0] == status
    assert gateway.market_hub.rates.quote_per_s == 50  # nothing changed


async def test_rates_change_live_and_streams_report_their_last_sequence(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    contract = next(iter(gateway.markets))
    key = f"GatewayQuote/{contract}"

    async def last_seq() -> int:
        return int((await control(http, gateway, "GET", "streams"))[1]["streams"].get(key, 0))

    await until(lambda: gateway.counters.last().get(key, 0) > 3, what="quotes flowing")
    assert await control(http, gateway, "POST", "market/rates", {"quotePerS": 0}) == (
        200,
        {"quotePerS": 0, "tradePerS": 20},
    )
    await asyncio.sleep(0.1)  # a step already due when the rate changed may still land
    paused = await last_seq()
    await asyncio.sleep(0.3)  # an observation window, not synchronisation: nothing may arrive in it
    assert await last_seq() == paused
    await control(http, gateway, "POST", "market/rates", {"quotePerS": 100})
    await until(lambda: gateway.counters.last()[key] > paused + 5, what="quotes resumed")


async def test_connection_listing_shows_hub_subscriptions(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    token = await login(http, gateway)
    client = await market_client(http, gateway, token)
    contract = next(iter(gateway.markets))
    await client.send(Invocation("SubscribeContractQuotes", [contract], "1"))
    await client.send(Invocation("SubscribeContractQuotes", [contract], "2"))  # idempotent
    replies = []
    while len(replies) < 2:
        message = await client.next_message()
        if isinstance(message, Completion):
            replies.append(message)
    _, listing = await control(http, gateway, "GET", "connections?open=true")
    assert listing["connections"][0]["subscriptions"] == [["GatewayQuote", contract]]
    await client.ws.close()
