"""The reference client end to end with both hub protocols: market data, an order's events."""

from __future__ import annotations

import pytest

from client import Event, RealtimeClient
from simulator.projectx import Gateway
from tests.polling import until

from .conftest import ACCOUNT, fast_config, tokens


@pytest.mark.parametrize("protocol", ["json", "messagepack"])
async def test_streams_and_order_events_arrive_intact(gateway: Gateway, contract: str, protocol: str) -> None:
    client = RealtimeClient(fast_config(gateway.server.url, protocol=protocol), tokens(gateway))
    events: dict[str, list[Event]] = {
        k: [] for k in ("quote", "trade", "depth", "order", "position", "user_trade")
    }
    for kind, sink in events.items():
        client.on(kind, sink.append)
    try:
        await client.connect()
        await client.subscribe_user(ACCOUNT)
        for kind in ("quotes", "trades", "depth"):
            await getattr(client, f"subscribe_{kind}")(contract)
        order = gateway.ledger.place(ACCOUNT, contract, order_type=2, side=0, size=2)
        await until(lambda: events["user_trade"] and events["position"], what="the fill's events")
        await until(lambda: all(events[k] for k in ("quote", "trade", "depth")), what="market data")
        assert [e.data["data"]["id"] for e in events["order"]] == [order.id, order.id]
        assert events["position"][-1].data["data"]["size"] == 2
        assert events["depth"][0].data[0]["type"] == 6  # the reset that starts a snapshot
        quote = events["quote"][-1]
        assert quote.key == contract
        assert quote.data["bestBid"] < quote.data["bestAsk"]
        assert client.metrics()["counters"]["seq_gaps"] == 0
        records = [r for r in gateway.server.records.values() if r.is_open]
        assert {r.handshake["protocol"] for r in records if r.handshake} == {protocol}
    finally:
        await client.close()
