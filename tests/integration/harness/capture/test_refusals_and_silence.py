"""Upgrades the upstream refuses reach the client as refused, and silences are recorded."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from harness.capture import CaptureProxy, fingerprint
from simulator.projectx import Gateway

from .conftest import SILENCE_S, entries, entry, login, negotiate, open_hub, sim_session_id


async def test_an_expired_token_gets_the_upstreams_401_and_is_recorded(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    token = await login(http, capture.url)
    negotiated = await negotiate(http, capture.url, "market", token, negotiateVersion="1")
    gateway.tokens.expire(token)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{capture.url}/hubs/market?id={negotiated['connectionToken']}"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(url, headers=headers)
    assert refused.value.status == 401
    assert refused.value.headers is not None
    assert refused.value.headers["WWW-Authenticate"].startswith(
        'Bearer error="invalid_token", error_description="The token expired at \''
    )
    with pytest.raises(aiohttp.WSServerHandshakeError) as unknown:
        await http.ws_connect(f"{capture.url}/hubs/market?id=nope", headers={})
    assert unknown.value.status == 401  # the simulator checks the token before the id
    opened = entries(capture, "open")
    assert [(e["conn"], e["status"], e["error"]) for e in opened] == [
        ("market-1", 401, None),
        ("market-2", 401, None),
    ]
    assert opened[0]["token"] == {"where": "header", "fp": fingerprint(token)}
    assert opened[0]["id_fp"] == fingerprint(negotiated["connectionToken"])
    assert opened[1]["token"] == {"where": None, "fp": None}
    assert entries(capture, "close") == []


async def test_a_refusal_body_reaches_the_client(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    token = await login(http, capture.url)
    headers = {"Authorization": f"Bearer {token}", "Connection": "Upgrade", "Upgrade": "websocket"}
    headers |= {"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    answers = []
    for base in (gateway.server.url, capture.url):
        async with http.get(f"{base}/hubs/market?id=never-negotiated", headers=headers) as r:
            answers.append((r.status, await r.text()))
    assert answers[1] == answers[0] == (404, "No Connection with that ID")
    [opened] = entries(capture, "open")
    assert opened["status"] == 404


async def test_a_silent_server_is_recorded_when_the_silence_ends(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    token = await login(http, capture.url)
    client = await open_hub(http, capture.url, "market", token)  # nothing subscribed: nothing sent
    session = sim_session_id(gateway, "market")
    await asyncio.sleep(SILENCE_S + 0.2)  # the silence under test
    async with http.post(
        f"{gateway.server.url}/_sim/connections/{session}/send", json={"target": "Poke"}
    ) as r:
        assert r.status == 200
    poke = await entry(capture, "record", target="Poke")
    [silence] = entries(capture, "silence")
    handshake = next(r for r in entries(capture, "record") if r["type"] == "handshake_response")
    assert silence["t"] == handshake["t"]  # it began with the last bytes from the server
    assert silence | {"t": 0, "lasted_s": 0} == {
        "kind": "silence",
        "t": 0,
        "conn": "market-1",
        "hub": "market",
        "from": "server",
        "lasted_s": 0,
        "ended": "record",
    }
    assert silence["lasted_s"] >= SILENCE_S + 0.2
    assert silence["t"] + silence["lasted_s"] == pytest.approx(poke["t"], abs=1e-5)
    await asyncio.sleep(SILENCE_S + 0.1)
    await capture.stop()
    silences = entries(capture, "silence")
    assert [s["ended"] for s in silences] == ["record", "capture_end"]
    assert silences[1]["t"] == poke["t"]
    close = entries(capture, "close")[0]
    assert (close["by"], close["how"], close["code"]) == ("proxy", "websocket_close", 1001)
    assert (await client.until_closed()).data == 1001


async def test_a_malformed_upgrade_is_forwarded_as_plain_http(
    capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    headers = {"Upgrade": "websocket", "Connection": "Upgrade"}  # no Sec-WebSocket-Key or version
    async with http.get(f"{capture.url}/hubs/market", headers=headers) as r:
        assert (r.status, await r.text()) == (400, "Connection ID required")
    [rest] = entries(capture, "rest")
    assert (rest["method"], rest["path"], rest["status"]) == ("GET", "/hubs/market", 400)
    assert entries(capture, "open") == []
