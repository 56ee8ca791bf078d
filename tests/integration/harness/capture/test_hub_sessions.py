"""Hub connections through the capture: records decoded both ways, in both hub protocols."""

from __future__ import annotations

import aiohttp
import pytest

from harness.capture import CaptureProxy, fingerprint
from signalr_protocol import JSON, MESSAGEPACK, Completion, HubProtocol, Invocation
from simulator.projectx import Gateway

from .conftest import entries, entry, login, open_hub


@pytest.mark.parametrize("protocol", [JSON, MESSAGEPACK], ids=["json", "messagepack"])
async def test_a_session_is_recorded_record_by_record(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession, contract: str, protocol: HubProtocol
) -> None:
    token = await login(http, capture.url)
    client = await open_hub(http, capture.url, "market", token, protocol=protocol, token_in="query")
    await client.invoke("SubscribeContractQuotes", contract, invocation_id="1")
    completion = await client.next_event()
    assert isinstance(completion, Completion)
    quotes = [await client.next_event() for _ in range(3)]
    assert all(isinstance(q, Invocation) and q.target == "GatewayQuote" for q in quotes)
    await client.ws.close()
    close = await entry(capture, "close", conn="market-1")
    assert close == close | {"by": "client", "how": "websocket_close", "code": 1000, "allow_reconnect": None}
    [opened] = entries(capture, "open")
    assert opened["token"] == {"where": "query", "fp": fingerprint(token)}
    records = entries(capture, "record")
    assert {(r["conn"], r["hub"]) for r in records} == {("market-1", "market")}
    sent = [r for r in records if r["from"] == "client"]
    assert sent[0] | {"t": 0} == {
        "kind": "record",
        "t": 0,
        "conn": "market-1",
        "hub": "market",
        "from": "client",
        "type": "handshake_request",
        "bytes": len(f'{{"protocol":"{protocol.name}","version":1}}\x1e'),
        "protocol": protocol.name,
        "version": 1,
    }
    subscribe = sent[1]
    assert subscribe["type"] == "invocation"
    assert subscribe["target"] == "SubscribeContractQuotes"
    assert subscribe["arguments"] == [contract]
    assert subscribe["invocation_id"] == "1"
    assert subscribe["bytes"] == len(protocol.encode(Invocation("SubscribeContractQuotes", [contract], "1")))
    received = [r for r in records if r["from"] == "server"]
    assert received[0]["type"] == "handshake_response"
    assert received[0]["error"] is None
    assert received[1] == received[1] | {"type": "completion", "invocation_id": "1"}
    quote_records = [r for r in received if r.get("target") == "GatewayQuote"]
    assert len(quote_records) >= 3
    first = quote_records[0]
    assert first["arguments"][0] == contract
    assert first["arguments"][1]["bestBid"] == quotes[0].arguments[1]["bestBid"]  # type: ignore[union-attr]
    assert first["headers"] == dict(quotes[0].headers)  # type: ignore[union-attr]
    assert first["bytes"] == len(protocol.encode(quotes[0]))  # type: ignore[arg-type]
    times = [r["t"] for r in records]
    assert times == sorted(times)
