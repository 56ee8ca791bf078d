"""The Gateway's control routes: tokens by fingerprint, live market rates, streams, subscriptions."""

import asyncio
from collections import abc

import aiohttp
import pytest

from signalr_protocol import JSON, Completion, Invocation
from simulator import ServerConfig
from simulator.projectx import Gateway, GatewayConfig, build_gateway
from simulator.projectx.profile import StreamProfile

from ..polling import until
from .conftest import RawHubClient
from .test_projectx_rest import login, post


@pytest.fixture
async def gateway() -> abc.AsyncIterator[Gateway]:
    gw = build_gateway(
        ServerConfig(), GatewayConfig(profile=StreamProfile(default={"quote": 50, "trade": 20, "depth": 0}))
    )
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
        ("market/rates", {"quote": -1}, 400),
        ("market/rates", {"trade": "fast"}, 400),
        ("market/rates", {"quotePerS": 5}, 400),
        ("market/rates", {"quote": 5, "contract": "CON.F.US.NOPE.Z26"}, 404),
        ("market/bursts", {"factor": 5}, 400),
        ("market/bursts", {"factor": 5, "duration": 0}, 400),
        ("market/bursts", {"factor": 5, "duration": 1, "every": 0.5}, 400),
        ("market/bursts", {"factor": 5, "duration": 1, "events": ["quotes"]}, 400),
        ("market/bursts", {"factor": 5, "duration": 1, "contracts": ["ZZZ"]}, 404),
    ],
)
async def test_bad_control_input_is_refused(
    gateway: Gateway, http: aiohttp.ClientSession, path: str, body: object, status: int
) -> None:
    await login(http, gateway)
    assert (await control(http, gateway, "POST", path, body))[0] == status
    profile = gateway.market_hub.profile
    assert (profile.default["quote"], profile.overrides, profile.bursts) == (50, {}, ())  # unchanged


async def test_rates_change_live_and_streams_report_their_last_sequence(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    contract = next(iter(gateway.markets))
    key = f"GatewayQuote/{contract}"

    async def last_seq() -> int:
        return int((await control(http, gateway, "GET", "streams"))[1]["streams"].get(key, 0))

    await until(lambda: gateway.counters.last().get(key, 0) > 3, what="quotes flowing")
    status, rates = await control(http, gateway, "POST", "market/rates", {"quote": 0})
    assert status == 200
    assert rates["default"] == {"quote": 0, "trade": 20, "depth": 0}
    assert rates["now"][contract] == {"quote": 0, "trade": 20, "depth": 0}
    await asyncio.sleep(0.1)  # a step already due when the rate changed may still land
    paused = await last_seq()
    await asyncio.sleep(0.3)  # an observation window, not synchronisation: nothing may arrive in it
    assert await last_seq() == paused
    await control(http, gateway, "POST", "market/rates", {"quote": 100})
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


async def test_per_contract_rates_and_a_live_burst_change_what_is_generated(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    first, second = list(gateway.markets)[:2]
    symbol = gateway.markets[first].contract.symbol
    await control(http, gateway, "POST", "market/rates", {"quote": 0, "trade": 0})
    status, rates = await control(http, gateway, "POST", "market/rates", {"trade": 200, "contract": symbol})
    assert status == 200
    assert rates["overrides"] == {symbol: {"trade": 200}}
    assert rates["now"][first]["trade"] == 200
    assert rates["now"][second]["trade"] == 0

    def trades(contract: str) -> int:
        return gateway.counters.last().get(f"GatewayTrade/{contract}", 0)

    await until(lambda: trades(first) > 20, what="trades on the overridden contract")
    assert trades(second) == 0
    status, rates = await control(
        http, gateway, "POST", "market/bursts", {"factor": 10, "duration": 30, "contracts": [first]}
    )
    assert status == 200
    assert rates["now"][first]["trade"] == 2000
    [burst] = rates["bursts"]
    assert burst["contracts"] == [first]
    assert burst["startS"] <= rates["streamTimeS"]
    _, rates = await control(http, gateway, "DELETE", "market/bursts")
    assert rates["bursts"] == []
    assert rates["now"][first]["trade"] == 200


async def test_send_history_pages_through_every_message_a_connection_was_sent(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    token = await login(http, gateway)
    client = await market_client(http, gateway, token)
    contract = next(iter(gateway.markets))
    await client.send(Invocation("SubscribeContractQuotes", [contract], "1"))
    received: list[Invocation] = []
    while len(received) < 10:
        message = await client.next_message()
        if isinstance(message, Invocation):
            received.append(message)
    [record] = gateway.server.records.values()
    status, page = await control(http, gateway, "GET", f"history?connection={record.connection_id}&limit=5")
    assert status == 200
    assert len(page["entries"]) == 5
    rest_status, rest = await control(
        http, gateway, "GET", f"history?connection={record.connection_id}&since={page['next']}"
    )
    assert rest_status == 200
    entries = [*page["entries"], *rest["entries"]]
    assert [e["n"] for e in entries] == sorted({e["n"] for e in entries})  # no repeats, in order
    quotes = [e for e in entries if e["target"] == "GatewayQuote"]
    # what the client got is what the history says it was sent: same stream key and sequence
    assert [(e["key"], e["seq"]) for e in quotes[: len(received)]] == [
        (m.arguments[0], int(m.headers["seq"])) for m in received
    ]
    assert entries[0]["type"] == 3  # the Completion of the subscribe comes first
    for query in ("since=-1", "limit=0", "limit=x"):
        assert (await control(http, gateway, "GET", f"history?{query}"))[0] == 400
    await client.ws.close()
