"""The simulated Gateway's REST and hub auth: the answers it gives to good and bad requests."""

from collections import abc

import aiohttp
import pytest

from simulator import ServerConfig
from simulator.projectx import Gateway, GatewayConfig, build_gateway
from simulator.projectx.profile import StreamProfile


@pytest.fixture
async def gateway() -> abc.AsyncIterator[Gateway]:
    gw = build_gateway(
        ServerConfig(), GatewayConfig(profile=StreamProfile(default={"quote": 20, "trade": 10, "depth": 0}))
    )
    async with gw.server:
        yield gw


async def login(http: aiohttp.ClientSession, gw: Gateway) -> str:
    async with http.post(
        f"{gw.server.url}/api/Auth/loginKey", json={"userName": "sim", "apiKey": "sim-api-key-0001"}
    ) as r:
        body = await r.json()
    assert body["success"] is True
    assert body["errorCode"] == 0
    token: str = body["token"]
    assert token.count(".") == 2
    return token


async def post(
    http: aiohttp.ClientSession, gw: Gateway, path: str, body: object, token: str | None
) -> tuple[int, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(f"{gw.server.url}/api/{path}", json=body, headers=headers) as r:
        return r.status, (await r.json() if r.content_type.endswith("json") else await r.text())


async def test_envelope_and_field_sets(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    token = await login(http, gateway)
    status, accounts = await post(http, gateway, "Account/search", {"onlyActiveAccounts": True}, token)
    assert status == 200
    assert set(accounts["accounts"][0]) == {"id", "name", "balance", "canTrade", "isVisible", "simulated"}  # type: ignore[index]
    _, contracts = await post(http, gateway, "Contract/search", {"searchText": "MNQ", "live": False}, token)
    assert set(contracts["contracts"][0]) == {
        "id",
        "name",
        "description",
        "tickSize",
        "tickValue",
        "activeContract",
        "symbolId",
    }  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("Contract/searchById", {"contractId": "CON.F.US.NOPE.Z26"}, 200, "Contract not found."),
        (
            "Order/place",
            {"accountId": 12345, "contractId": "nope", "type": 2, "side": 0, "size": 1},
            200,
            "Contract not found.",
        ),
        (
            "Order/place",
            {"accountId": 1, "contractId": "x", "type": 2, "side": 0, "size": 1},
            200,
            "Account not found.",
        ),
        ("Order/cancel", {"accountId": 12345, "orderId": 1}, 200, "Order not found."),
        ("Nope/nope", {}, 404, None),
    ],
)
async def test_refusals_are_envelopes_not_500s(
    gateway: Gateway, http: aiohttp.ClientSession, path: str, body: object, status: int, field: str | None
) -> None:
    token = await login(http, gateway)
    got_status, got = await post(http, gateway, path, body, token)
    assert got_status == status
    if field is not None:
        assert got["success"] is False  # type: ignore[index]
        assert got["errorMessage"] == field  # type: ignore[index]


async def test_malformed_and_oversized_bodies(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    token = await login(http, gateway)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with http.post(f"{gateway.server.url}/api/Account/search", data=b"{nope", headers=headers) as r:
        assert r.status == 400
        assert (await r.json())["title"] == "One or more validation errors occurred."
    async with http.post(f"{gateway.server.url}/api/Account/search", data=b"[]", headers=headers) as r:
        assert r.status == 400
    async with http.post(
        f"{gateway.server.url}/api/Account/search", data=b"x" * (2 * 1024 * 1024), headers=headers
    ) as r:
        assert r.status == 413


async def test_missing_unknown_and_expired_tokens_get_401(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    # as ASP.NET Core's JwtBearer challenges: an empty body, the reason in WWW-Authenticate
    url = f"{gateway.server.url}/api/Account/search"
    token = await login(http, gateway)
    gateway.tokens.expire(token)
    for header, challenge in [
        (None, "Bearer"),
        ("Bearer a.b.c", 'Bearer error="invalid_token", error_description="The signature is invalid"'),
        (f"Bearer {token}", 'Bearer error="invalid_token", error_description="The token expired at \''),
    ]:
        async with http.post(url, json={}, headers={"Authorization": header} if header else {}) as r:
            assert (r.status, await r.read()) == (401, b"")
            assert r.headers["WWW-Authenticate"].startswith(challenge), r.headers["WWW-Authenticate"]
    _, bad = await post(http, gateway, "Auth/loginKey", {"userName": "sim", "apiKey": "wrong"}, None)
    assert (bad["success"], bad["errorCode"]) == (False, 3)  # type: ignore[index]


async def test_hubs_need_a_valid_token_on_negotiate_and_upgrade(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    url = gateway.server.url
    async with http.post(f"{url}/hubs/market/negotiate") as r:
        assert r.status == 401
    token = await login(http, gateway)
    async with http.post(f"{url}/hubs/market/negotiate", params={"access_token": token}) as r:
        connection_id = (await r.json())["connectionId"]
    gateway.tokens.revoke(token)
    with pytest.raises(aiohttp.WSServerHandshakeError) as failure:
        await http.ws_connect(f"{url}/hubs/market", params={"id": connection_id, "access_token": token})
    assert failure.value.status == 401
    async with http.post(f"{url}/hubs/demo/negotiate") as r:  # the demo hub stays open
        assert r.status == 200
