"""How hub connections end through the capture: recorded as they ended, and the other side sees
the same ending (close frame and its code, a FIN, or a reset)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from harness.capture import CaptureProxy
from signalr_protocol import Close
from simulator.projectx import Gateway

from .conftest import SILENCE_S, BareUpstream, entries, entry, login, open_hub, sim_session_id


async def control(http: aiohttp.ClientSession, gateway: Gateway, path: str, body: object) -> None:
    async with http.post(f"{gateway.server.url}/_sim/{path}", json=body) as response:
        assert response.status == 200, await response.text()


async def test_a_server_close_with_error_and_allow_reconnect(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    token = await login(http, capture.url)
    client = await open_hub(http, capture.url, "market", token)
    session = sim_session_id(gateway, "market")
    body = {"error": "Server is restarting.", "allowReconnect": True}
    await control(http, gateway, f"connections/{session}/close", body)
    assert await client.next_event() == Close("Server is restarting.", allow_reconnect=True)
    last = await client.until_closed()
    assert (last.type, last.data) == (aiohttp.WSMsgType.CLOSE, 1011)
    close = await entry(capture, "close", conn="market-1")
    assert close | {"t": 0} == {
        "kind": "close",
        "t": 0,
        "conn": "market-1",
        "hub": "market",
        "by": "server",
        "how": "close_message",
        "code": 1011,
        "error": "Server is restarting.",
        "allow_reconnect": True,
    }
    [record] = [r for r in entries(capture, "record") if r["type"] == "close"]
    assert record | {"t": 0} == record | {"t": 0, "from": "server", "error": "Server is restarting."}


@pytest.mark.parametrize("how", ["reset", "eof"])
async def test_an_upstream_dropping_tcp_is_recorded_and_passed_on(
    bare: BareUpstream, bare_capture: CaptureProxy, http: aiohttp.ClientSession, how: str
) -> None:
    # The bare upstream, not the simulator: /_sim/connections/{id}/abort asks the WebSocket for
    # get_extra_info("transport"), which aiohttp 3.14 does not have, so it sends a close frame.
    client = await open_hub(http, bare_capture.url, "bare", "t", negotiate_version=None)
    bare.drop(reset=how == "reset")
    last = await client.until_closed()
    assert last.type is aiohttp.WSMsgType.CLOSED  # no close frame reached the client
    assert await client.how_lost() == how
    close = await entry(bare_capture, "close", conn="bare-1")
    assert (close["by"], close["how"], close["code"], close["error"]) == ("server", how, None, None)


async def test_a_server_close_frame_without_close_record_keeps_its_code(
    bare: BareUpstream, bare_capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    client = await open_hub(http, bare_capture.url, "bare", "t", negotiate_version=None)
    ws, _ = bare.sockets[-1]
    await asyncio.sleep(SILENCE_S + 0.1)  # a silence that the close ends
    closing = asyncio.create_task(ws.close(code=4001, message=b"bye"))
    last = await client.until_closed()
    await closing
    assert (last.type, last.data, last.extra) == (aiohttp.WSMsgType.CLOSE, 4001, "bye")
    close = await entry(bare_capture, "close", conn="bare-1")
    assert close | {"t": 0} == {
        "kind": "close",
        "t": 0,
        "conn": "bare-1",
        "hub": "bare",
        "by": "server",
        "how": "websocket_close",
        "code": 4001,
        "error": None,
        "allow_reconnect": None,
    }
    [silence] = entries(bare_capture, "silence")
    assert silence["ended"] == "close"
    assert silence["lasted_s"] > SILENCE_S


@pytest.mark.parametrize("how", ["websocket_close", "eof", "reset"])
async def test_a_client_ending_is_recorded_and_passed_upstream(
    bare: BareUpstream, bare_capture: CaptureProxy, http: aiohttp.ClientSession, how: str
) -> None:
    client = await open_hub(http, bare_capture.url, "bare", "t", negotiate_version=None)
    if how == "websocket_close":
        await client.ws.close(code=4000)
    else:
        client.drop(reset=how == "reset")
    async with asyncio.timeout(3):
        seen_upstream = await bare.endings[-1]
    code = 4000 if how == "websocket_close" else None
    assert seen_upstream == (how, code)
    close = await entry(bare_capture, "close", conn="bare-1")
    assert (close["by"], close["how"], close["code"]) == ("client", how, code)
