"""Negotiate and the WebSocket request: ASP.NET Core's status codes, before any upgrade."""

import asyncio

import aiohttp
import pytest

from signalr_protocol import JSON
from simulator import SimulatorServer

from ..polling import until
from .conftest import RawHubClient, connect, negotiate, only_record


async def test_negotiate_without_version_answers_v0(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    body = await negotiate(http, server.url)
    assert body["negotiateVersion"] == 0
    assert "connectionToken" not in body
    assert body["availableTransports"] == [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]


@pytest.mark.parametrize(("asked", "got"), [("1", 1), ("2", 1), ("0", 0)])
async def test_negotiate_answers_min_of_requested_and_1(
    server: SimulatorServer, http: aiohttp.ClientSession, asked: str, got: int
) -> None:
    body = await negotiate(http, server.url, negotiateVersion=asked)
    assert body["negotiateVersion"] == got
    assert ("connectionToken" in body) == (got == 1)


async def test_negotiate_errors_are_200_with_error_body(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    body = await negotiate(http, server.url, negotiateVersion="one")
    assert body == {"error": "The client requested a non-integer protocol version."}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_negotiate_is_post_only(
    server: SimulatorServer, http: aiohttp.ClientSession, method: str
) -> None:
    async with http.request(method, f"{server.url}/hubs/demo/negotiate") as response:
        assert response.status == 405


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"\x00\xff" * 1000, "application/octet-stream"),
        (b"[]", "application/json"),
    ],
)
async def test_negotiate_ignores_the_body_as_aspnet_does(
    server: SimulatorServer, http: aiohttp.ClientSession, body: bytes, content_type: str
) -> None:
    async with http.post(
        f"{server.url}/hubs/demo/negotiate", data=body, headers={"Content-Type": content_type}
    ) as r:
        assert r.status == 200
        assert "connectionId" in await r.json()


async def test_unknown_hub_is_404(server: SimulatorServer, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{server.url}/hubs/nope/negotiate") as response:
        assert response.status == 404


async def test_unknown_id_is_404_before_the_upgrade(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as failure:
        await http.ws_connect(f"{server.url}/hubs/demo", params={"id": "never-negotiated"})
    assert failure.value.status == 404


async def test_v1_connects_with_the_token_not_the_id(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    body = await negotiate(http, server.url, negotiateVersion="1")
    with pytest.raises(aiohttp.WSServerHandshakeError) as failure:
        await http.ws_connect(f"{server.url}/hubs/demo", params={"id": body["connectionId"]})
    assert failure.value.status == 404
    ws = await http.ws_connect(f"{server.url}/hubs/demo", params={"id": body["connectionToken"]})
    await ws.close()


async def test_second_socket_on_a_live_id_is_409(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    body = await negotiate(http, server.url)
    first = await http.ws_connect(f"{server.url}/hubs/demo", params={"id": body["connectionId"]})
    with pytest.raises(aiohttp.WSServerHandshakeError) as failure:
        await http.ws_connect(f"{server.url}/hubs/demo", params={"id": body["connectionId"]})
    assert failure.value.status == 409
    await first.close()


async def test_an_id_is_consumed_by_its_socket(server: SimulatorServer, http: aiohttp.ClientSession) -> None:
    client = await connect(http, server.url)
    connection_id = next(iter(server.sessions))
    await client.ws.close()
    await until(lambda: not server.sessions, what="session gone")
    with pytest.raises(aiohttp.WSServerHandshakeError) as failure:
        await http.ws_connect(f"{server.url}/hubs/demo", params={"id": connection_id})
    assert failure.value.status == 404


async def test_negotiated_id_expires_after_the_disconnect_timeout(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    body = await negotiate(http, server.url)
    await asyncio.sleep(server.config.disconnect_timeout_s + 0.1)
    with pytest.raises(aiohttp.WSServerHandshakeError) as failure:
        await http.ws_connect(f"{server.url}/hubs/demo", params={"id": body["connectionId"]})
    assert failure.value.status == 404


async def test_socket_without_id_skips_negotiation(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    ws = await http.ws_connect(f"{server.url}/hubs/demo")
    client = RawHubClient(ws, JSON)
    await client.handshake()
    assert only_record(server).negotiate is None
    await ws.close()


async def test_other_transports_are_refused(server: SimulatorServer, http: aiohttp.ClientSession) -> None:
    body = await negotiate(http, server.url)
    hub = f"{server.url}/hubs/demo"
    async with http.get(hub, params={"id": body["connectionId"]}) as poll:
        assert (poll.status, await poll.text()) == (
            404,
            "LongPolling transport not supported by this end point type",
        )
    async with http.get(
        hub, params={"id": body["connectionId"]}, headers={"Accept": "text/event-stream"}
    ) as sse:
        assert sse.status == 404
    async with http.get(hub) as no_id:
        assert (no_id.status, await no_id.text()) == (400, "Connection ID required")
    async with http.post(hub, params={"id": body["connectionId"]}) as send:
        assert send.status == 405
    async with http.post(hub, params={"id": "unknown"}) as send_unknown:
        assert (send_unknown.status, await send_unknown.text()) == (404, "No Connection with that ID")
