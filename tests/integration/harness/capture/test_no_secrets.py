"""No secret reaches the capture file or the logs: only fingerprints, which are all there."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from harness.capture import CaptureProxy, fingerprint
from simulator.projectx import Gateway

from .conftest import API_KEY, entry, login, negotiate, open_hub


async def test_a_session_with_tokens_everywhere_leaves_only_fingerprints(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = await login(http, capture.url)
    async with http.post(
        f"{capture.url}/api/Auth/validate", headers={"Authorization": f"Bearer {token}"}
    ) as r:
        new_token: str = (await r.json())["newToken"]
    async with http.post(
        f"{capture.url}/api/Account/search", params={"access_token": new_token}, json={}
    ) as r:
        assert r.status in (200, 401)
    market = await negotiate(http, capture.url, "market", new_token, negotiateVersion="1")
    async with http.post(f"{capture.url}/hubs/user/negotiate", params={"access_token": token}) as r:
        user = await r.json()
    by_header = await open_hub(http, capture.url, "market", new_token)
    by_query = await open_hub(http, capture.url, "user", token, token_in="query", negotiate_version=0)
    await by_query.invoke("SubscribeAccounts", {"token": token, "note": f"Bearer {new_token}"})
    await by_query.next_event()  # the completion
    for client in (by_header, by_query):
        await client.ws.close()
    await entry(capture, "close", conn="user-2")
    await capture.stop()

    data = capture.out.read_bytes()
    secrets = {
        "api key": API_KEY,
        "login token": token,
        "validate's newToken": new_token,
        "market connectionToken": market["connectionToken"],
        "user connectionId": user["connectionId"],
    }
    for name, secret in secrets.items():
        assert secret.encode() not in data, name
        assert not any(secret in record.getMessage() for record in caplog.records), name
    assert b"eyJ" not in data  # nothing JWT-shaped at all
    for secret in (API_KEY, token, new_token, market["connectionToken"], user["connectionId"]):
        assert fingerprint(secret).encode() in data
