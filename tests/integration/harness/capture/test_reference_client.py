"""The reference client through the capture, as a developer would run it: a realistic session."""

from __future__ import annotations

from collections import Counter

from client import ClientConfig, Event, GatewayTokens, HeartbeatPolicy, RealtimeClient
from harness.capture import CaptureProxy, read_capture
from simulator.projectx import Gateway
from tests.polling import until

from .conftest import API_KEY


async def test_login_both_hubs_and_quotes_are_captured(
    gateway: Gateway, capture: CaptureProxy, contract: str
) -> None:
    config = ClientConfig(capture.url, connect_timeout_s=5.0, heartbeat=HeartbeatPolicy(method=None))
    tokens = GatewayTokens(capture.url, "sim", API_KEY)
    client = RealtimeClient(config, tokens)
    quotes: list[Event] = []
    client.on("quote", quotes.append)
    try:
        await client.connect()
        await client.subscribe_quotes(contract)
        await until(lambda: len(quotes) >= 3, within_s=5, what="three quotes through the capture")
    finally:
        await client.close()
        await tokens.close()
    await capture.stop()
    captured = read_capture(capture.out)
    kinds = Counter(e["kind"] for e in captured)
    assert kinds["capture"] == kinds["end"] == 1
    assert kinds["rest"] >= 1
    assert kinds["negotiate"] == kinds["open"] == kinds["close"] == 2
    assert {e["hub"] for e in captured if e["kind"] == "open"} == {"user", "market"}
    assert all(e["token"]["where"] == "header" for e in captured if e["kind"] in ("negotiate", "open"))
    records = [e for e in captured if e["kind"] == "record"]
    market = [(r["from"], r["type"], r.get("target")) for r in records if r["hub"] == "market"]
    assert ("client", "handshake_request", None) in market
    assert ("server", "handshake_response", None) in market
    assert ("client", "invocation", "SubscribeContractQuotes") in market
    assert ("server", "completion", None) in market
    assert sum(1 for m in market if m == ("server", "invocation", "GatewayQuote")) >= 3
    assert {e["by"] for e in captured if e["kind"] == "close"} == {"client"}
    assert captured[-1]["connections"] == 2
