"""The Gateway's whole documented REST surface, and the ASP.NET Core defaults it inherits
(``docs/gateway-api.md``): any-case property names and numbers in strings, trailing slashes on REST
and hub routes, 405 with ``Allow`` for a wrong method and 404 for an unknown route (empty bodies),
``GET /api/Status/ping``, each endpoint's own error codes, ``Order/searchById`` and
``Position/partialCloseContract``."""

from __future__ import annotations

from collections import abc
from typing import Any

import aiohttp
import pytest

from signalr_protocol import JSON, HandshakeCompleted
from simulator import ServerConfig
from simulator.projectx import Gateway, GatewayConfig, build_gateway
from simulator.projectx.profile import StreamProfile

from .conftest import RawHubClient

ACCOUNT = 12345


@pytest.fixture
async def gateway() -> abc.AsyncIterator[Gateway]:
    quiet = StreamProfile(default={"quote": 0, "trade": 0, "depth": 0})
    gw = build_gateway(
        ServerConfig(keep_alive_interval_s=None), GatewayConfig(profile=quiet, demo_rate_per_s=0)
    )
    async with gw.server:
        yield gw


async def call(
    http: aiohttp.ClientSession, gw: Gateway, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(f"{gw.server.url}/api/{path}", json=body, headers=headers) as r:
        return r.status, (await r.json() if r.content_type.endswith("json") else await r.text())


async def token_for(http: aiohttp.ClientSession, gw: Gateway) -> str:
    status, reply = await call(http, gw, "Auth/loginKey", {"userName": "sim", "apiKey": "sim-api-key-0001"})
    assert status == 200
    return str(reply["token"])


async def test_property_names_in_any_case_and_numbers_in_strings_bind(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    status, reply = await call(
        http, gateway, "Auth/loginKey", {"username": "sim", "APIKEY": "sim-api-key-0001"}
    )
    assert (status, reply["success"]) == (200, True)
    token = reply["token"]
    _, positions = await call(http, gateway, "Position/searchOpen", {"AccountId": str(ACCOUNT)}, token)
    assert positions["success"] is True
    status, refused = await call(http, gateway, "Position/searchOpen", {"accountId": "12.5"}, token)
    assert status == 400
    assert refused["errors"]["$"] == [
        "The JSON value could not be converted to System.Int32. Path: $.accountId"
    ]


async def test_times_bind_as_date_time_offsets_or_get_a_400(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    token = await token_for(http, gateway)
    search = {"accountId": ACCOUNT, "startTimestamp": "2026-12-01"}
    for good in (
        "2026-12-01",
        "2026-12-01T10:00",
        "2026-12-01T10:00:00.1234567Z",
        "2026-12-01T10:00:00+01:00",
    ):
        status, reply = await call(http, gateway, "Trade/search", {**search, "startTimestamp": good}, token)
        assert (status, reply["success"]) == (200, True), good
    # isoformat() + "Z" on an aware datetime (a client's bug), ISO's basic format, not a time at all:
    for bad in ("2026-12-02T02:33:38.313+00:00Z", "20261202T023338Z", "yesterday", 1733100000):
        status, reply = await call(http, gateway, "Order/search", {**search, "endTimestamp": bad}, token)
        assert status == 400, bad
        assert reply["errors"]["$"] == [
            "The JSON value could not be converted to System.DateTimeOffset. Path: $.endTimestamp"
        ]


async def test_an_app_login_is_refused_as_for_an_unknown_app(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    app = {"userName": "sim", "password": "p", "deviceId": "d", "appId": "B76015F2", "verifyKey": "k"}
    status, reply = await call(http, gateway, "Auth/loginApp", app)
    assert status == 200
    assert (reply["success"], reply["errorCode"], reply["token"]) == (False, 4, None)  # AppNotFound
    status, reply = await call(http, gateway, "Auth/loginApp", {"userName": "sim", "password": "p"})
    assert status == 400
    assert reply["errors"]["$"] == ["The DeviceId field is required."]


async def test_a_login_missing_its_fields_is_a_400_not_a_refusal(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    status, reply = await call(http, gateway, "Auth/loginKey", {"userName": "sim"})
    assert status == 400
    assert reply["errors"]["$"] == ["The ApiKey field is required."]


async def test_routes_ignore_a_trailing_slash_and_case(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    status, reply = await call(
        http, gateway, "auth/LOGINKEY/", {"userName": "sim", "apiKey": "sim-api-key-0001"}
    )
    assert (status, reply["success"]) == (200, True)
    token = reply["token"]
    url = gateway.server.url
    async with http.post(
        f"{url}/hubs/market/negotiate/",
        params={"negotiateVersion": "1"},
        headers={"Authorization": f"Bearer {token}"},
    ) as r:
        assert r.status == 200
        connection = (await r.json())["connectionToken"]
    ws = await http.ws_connect(f"{url}/hubs/market/", params={"id": connection, "access_token": token})
    assert isinstance(await RawHubClient(ws, JSON).handshake(), HandshakeCompleted)
    await ws.close()


async def test_a_wrong_method_is_405_with_allow_and_an_unknown_route_404_both_empty(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    url = gateway.server.url
    async with http.get(f"{url}/api/Order/place") as r:
        assert (r.status, r.headers.get("Allow"), await r.read()) == (405, "POST", b"")
    async with http.post(f"{url}/api/Status/ping") as r:
        assert (r.status, r.headers.get("Allow"), await r.read()) == (405, "GET", b"")
    for method in ("GET", "POST", "DELETE"):
        async with http.request(method, f"{url}/api/Nope/nothing") as r:
            assert (r.status, await r.read()) == (404, b"")


async def test_status_ping_answers_pong_as_json_or_text_as_asked(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    url = gateway.server.url
    async with http.get(f"{url}/api/Status/ping", headers={"Accept": "application/json"}) as r:
        assert (r.status, await r.json()) == (200, "pong")
    async with http.get(f"{url}/api/Status/ping") as r:
        assert (r.status, r.content_type, await r.text()) == (200, "text/plain", "pong")


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("Order/place", {"accountId": ACCOUNT, "contractId": "nope", "type": 2, "side": 0, "size": 1}, 8),
        ("Order/place", {"accountId": 1, "contractId": "x", "type": 2, "side": 0, "size": 1}, 1),
        (
            "Order/place",
            {"accountId": ACCOUNT, "contractId": "{contract}", "type": 9, "side": 0, "size": 1},
            2,
        ),
        ("Order/cancel", {"accountId": ACCOUNT, "orderId": 1}, 2),
        ("Order/modify", {"accountId": ACCOUNT, "orderId": 1, "size": 2}, 2),
        ("Order/searchById", {"accountId": ACCOUNT, "orderId": 1}, 1),
        ("Position/closeContract", {"accountId": ACCOUNT, "contractId": "{contract}"}, 2),
        ("Position/closeContract", {"accountId": ACCOUNT, "contractId": "nope"}, 3),
        ("Position/partialCloseContract", {"accountId": ACCOUNT, "contractId": "{contract}", "size": 1}, 2),
        ("Position/partialCloseContract", {"accountId": 1, "contractId": "{contract}", "size": 1}, 1),
        ("History/retrieveBars", {"contractId": "{contract}", "unit": 9, "unitNumber": 1, "limit": 5}, 2),
        ("History/retrieveBars", {"contractId": "{contract}", "unit": 2, "unitNumber": 0, "limit": 5}, 3),
        ("History/retrieveBars", {"contractId": "{contract}", "unit": 2, "unitNumber": 1, "limit": -1}, 4),
    ],
)
async def test_each_endpoint_refuses_with_its_own_error_code(
    gateway: Gateway, http: aiohttp.ClientSession, path: str, body: dict[str, Any], code: int
) -> None:
    token = await token_for(http, gateway)
    contract = next(iter(gateway.markets))
    body = {k: contract if v == "{contract}" else v for k, v in body.items()}
    status, reply = await call(http, gateway, path, body, token)
    assert status == 200
    assert (reply["success"], reply["errorCode"]) == (False, code), reply


async def test_search_by_id_finds_an_order_in_any_state(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    token = await token_for(http, gateway)
    contract = next(iter(gateway.markets))
    order = {"accountId": ACCOUNT, "contractId": contract, "type": 2, "side": 0, "size": 1}
    _, placed = await call(http, gateway, "Order/place", order, token)
    _, found = await call(
        http, gateway, "Order/searchById", {"accountId": ACCOUNT, "orderId": placed["orderId"]}, token
    )
    assert found["success"] is True
    assert (found["order"]["id"], found["order"]["status"]) == (placed["orderId"], 2)  # filled
    _, other = await call(
        http, gateway, "Order/searchById", {"accountId": 99, "orderId": placed["orderId"]}, token
    )
    assert (other["success"], other["order"]) == (False, None)


async def test_a_partial_close_reduces_the_position_with_a_market_order_and_its_events(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    token = await token_for(http, gateway)
    contract = next(iter(gateway.markets))
    buy = {"accountId": ACCOUNT, "contractId": contract, "type": 2, "side": 0, "size": 3}
    assert (await call(http, gateway, "Order/place", buy, token))[1]["success"] is True
    published: list[str] = []
    ledger = gateway.ledger
    emit = ledger.emit
    ledger.emit = lambda target, account, payload: (published.append(target), emit(target, account, payload))[
        1
    ]
    close = {"accountId": ACCOUNT, "contractId": contract, "size": 1}
    _, reply = await call(http, gateway, "Position/partialCloseContract", close, token)
    assert reply == {"success": True, "errorCode": 0, "errorMessage": None}  # no orderId, as documented
    assert published == [  # what any fill publishes: order pending, filled, trade, position, account
        "GatewayUserOrder", "GatewayUserOrder", "GatewayUserTrade", "GatewayUserPosition", "GatewayUserAccount",
    ]  # fmt: skip
    _, positions = await call(http, gateway, "Position/searchOpen", {"accountId": ACCOUNT}, token)
    [position] = positions["positions"]
    assert (position["type"], position["size"]) == (1, 2)
    _, trades = await call(http, gateway, "Trade/search", {"accountId": ACCOUNT}, token)
    assert [(t["side"], t["size"]) for t in trades["trades"]] == [(0, 3), (1, 1)]
    for size, code in ((3, 5), (0, 5), (-1, 5)):  # more than is open, none, negative: InvalidCloseSize
        _, refused = await call(
            http, gateway, "Position/partialCloseContract", {**close, "size": size}, token
        )
        assert (refused["success"], refused["errorCode"]) == (False, code)
    _, whole = await call(http, gateway, "Position/partialCloseContract", {**close, "size": 2}, token)
    assert whole["success"] is True
    assert (await call(http, gateway, "Position/searchOpen", {"accountId": ACCOUNT}, token))[1][
        "positions"
    ] == []


async def test_order_query_filters_sorts_and_pages(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    token = await token_for(http, gateway)
    contract = next(iter(gateway.markets))
    far = {"accountId": ACCOUNT, "contractId": contract, "type": 1, "side": 0, "size": 1}
    _, quote = await call(http, gateway, "Contract/searchById", {"contractId": contract}, token)
    tick = quote["contract"]["tickSize"]
    ids = []
    for _ in range(3):  # resting limits far below the market: open
        _, placed = await call(http, gateway, "Order/place", {**far, "limitPrice": tick}, token)
        ids.append(placed["orderId"])
    _, market = await call(http, gateway, "Order/place", {**far, "type": 2}, token)  # filled
    query = {"filter": {"accountId": ACCOUNT, "statuses": [1]}, "sortBy": 1, "sortDirection": 1}
    _, reply = await call(http, gateway, "Order/v2/query", {**query, "includeTotalCount": True}, token)
    assert ([o["id"] for o in reply["orders"]], reply["totalCount"]) == (ids[::-1], 3)
    _, page = await call(http, gateway, "Order/v2/query", {**query, "pageSize": 1, "pageOffset": 1}, token)
    assert ([o["id"] for o in page["orders"]], page["totalCount"]) == ([ids[1]], None)
    _, every = await call(http, gateway, "Order/v2/query", {"Filter": {"AccountId": ACCOUNT}}, token)
    assert [o["id"] for o in every["orders"]] == [*ids, market["orderId"]]
    status, problem = await call(http, gateway, "Order/v2/query", {"accountId": ACCOUNT}, token)
    assert status == 400
    assert "missing required properties including: 'filter'" in problem["errors"]["$"][0]
    status, problem = await call(http, gateway, "Order/v2/query", {"filter": {"accountId": "x"}}, token)
    assert (status, problem["errors"]["$"]) == (
        400, ["The JSON value could not be converted to System.Int32. Path: $.filter.accountId"]
    )  # fmt: skip
