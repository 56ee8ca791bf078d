"""Floods, failing callbacks, callbacks that reach back into the client, churn (R5, R6, R7, R9,
R13, R15, R16)."""

from __future__ import annotations

import asyncio
import gc
import random

import pytest

from client import (
    CallbackPolicy,
    DispatchPolicy,
    Event,
    HeartbeatPolicy,
    HubState,
    RealtimeClient,
    UsageError,
)
from simulator.projectx import Gateway
from tests.polling import until

from .conftest import ACCOUNT, fast_config, server_subscriptions, tokens


def client_for(gateway: Gateway, **changes: object) -> RealtimeClient:
    return RealtimeClient(fast_config(gateway.server.url, **changes), tokens(gateway))


async def test_r5_r15_a_flood_past_a_slow_consumer_stays_bounded_and_user_events_all_arrive(
    gateway: Gateway, contract: str
) -> None:
    dispatch = DispatchPolicy(trade_queue=20, depth_queue=20, user_queue=4)
    # The in-process gateway floods the loop it shares with the client, so every timer runs late:
    # liveness timers scaled to fractions of a second then cut healthy hubs (the flake this had).
    # This test is about bounded queues and user events, not detection: timers at real-world scale.
    client = client_for(
        gateway,
        dispatch=dispatch,
        operation_timeout_s=10.0,
        connect_timeout_s=10.0,
        server_timeout_s=30.0,
        heartbeat=HeartbeatPolicy(interval_s=1.0, timeout_s=10.0),
    )
    gaps: list[Event] = []
    orders: list[Event] = []
    peak = 0

    async def slow(event: Event) -> None:
        nonlocal peak
        peak = max(peak, client.dispatcher.pending())
        await asyncio.sleep(0.002)

    for kind in ("quote", "trade", "depth"):
        client.on(kind, slow)
    client.on("gap", gaps.append)

    async def slow_order(event: Event) -> None:
        orders.append(event)
        await asyncio.sleep(0.01)

    client.on("order", slow_order)
    try:
        await client.connect()
        await client.subscribe_user(ACCOUNT)
        for kind in ("quotes", "trades", "depth"):
            await getattr(client, f"subscribe_{kind}")(contract)
        # the flood starts once subscribed (subscribing is not what this test is about)
        gateway.market_hub.set_profile(
            gateway.market_hub.profile.with_rates({"quote": 2000, "trade": 2000, "depth": 2000})
        )
        placed = [
            gateway.ledger.place(ACCOUNT, contract, order_type=1, side=0, size=1, limit_price=1.0)
            for _ in range(30)
        ]
        await until(lambda: len(orders) >= len(placed), within_s=30, what="every order event")
        counters = client.metrics()["counters"]
        assert counters["trades_dropped"] > 0
        assert counters["depth_resyncs"] > 0
        assert counters["quotes_coalesced"] > 0
        assert gaps  # the losses were reported, not silent
        # market events waiting: at most the trade and depth queues plus one quote per contract
        assert peak <= dispatch.trade_queue + dispatch.depth_queue + 1 + dispatch.user_queue + 2
        assert [e.data["data"]["id"] for e in orders if e.data["data"]["status"] == 1] == [
            o.id for o in placed
        ]
        # The loop stays responsive: the lag includes the in-process server's own flood, so the
        # bound is loose (a flooded loop, R5's pathology, lags for seconds and keeps growing).
        assert client.metrics()["windows"]["loop_lag_ms"]["max"] < 2000
    finally:
        await client.close()


async def test_r6_a_callback_that_always_raises_is_cut_off_and_the_others_get_everything(
    gateway: Gateway, contract: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(
        gateway, callbacks=CallbackPolicy(breaker_failures=3, breaker_cooldown_s=60, error_log_interval_s=60)
    )
    good: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    client.on("quote", broken)
    client.on("quote", good.append)
    try:
        await client.connect()
        await client.subscribe_quotes(contract)
        await until(lambda: len(good) >= 30, what="quotes to the good callback")
        counters = client.metrics()["counters"]
        assert counters["callback_errors"] == 3  # then the breaker opened
        assert counters["callbacks_skipped_open_breaker"] >= len(good) - 3 - 1
        failures = [r for r in caplog.records if "callback" in r.getMessage() and "failed" in r.getMessage()]
        assert len(failures) == 1  # one log line per interval, not one per failure
        seqs = [e.seq for e in good if e.seq is not None]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # nothing lost to the broken one
    finally:
        await client.close()


async def test_r7_callbacks_that_subscribe_unsubscribe_and_register_during_dispatch_do_not_deadlock(
    gateway: Gateway, contract: str
) -> None:
    client = client_for(gateway)
    other = list(gateway.markets)[1]
    handles = []
    calls = 0

    async def reentrant(event: Event) -> None:
        nonlocal calls
        calls += 1
        if calls % 2:
            await client.subscribe_trades(other)
        else:
            await client.unsubscribe_trades(other)
        handles.append(client.on("trade", lambda e: None))
        if len(handles) > 10:
            handles.pop(0).remove()

    client.on("quote", reentrant)
    try:
        await client.connect()
        await client.subscribe_quotes(contract)
        await until(lambda: calls >= 20, within_s=10, what="20 re-entrant dispatches")
        assert client.metrics()["counters"]["callback_timeouts"] == 0
        assert client.callbacks.count("trade") <= 11
    finally:
        await client.close()


class Listener:
    def __init__(self) -> None:
        self.seen = 0

    def on_quote(self, event: Event) -> None:
        self.seen += 1


async def test_r9_callback_storage_is_bounded_and_dead_listeners_go_away(gateway: Gateway) -> None:
    client = client_for(gateway, callbacks=CallbackPolicy(max_per_kind=50))
    listeners = [Listener() for _ in range(50)]
    handles = [client.on("quote", listener.on_quote) for listener in listeners]
    with pytest.raises(UsageError, match="max_per_kind"):
        client.on("quote", lambda e: None)
    del listeners
    gc.collect()
    assert client.callbacks.count("quote") == 0  # bound methods of collected objects left with them
    assert not any(h.active for h in handles)
    for _ in range(1000):
        client.on("trade", lambda e: None).remove()
    assert client.callbacks.count() == 0
    with pytest.raises(UsageError, match="unknown event kind"):
        client.on("quotes", lambda e: None)
    await client.close()


async def test_r13_concurrent_subscribe_and_unsubscribe_converge_to_the_intended_set(
    gateway: Gateway,
) -> None:
    client = client_for(gateway, operation_timeout_s=10.0)
    contracts = list(gateway.markets)
    rng = random.Random(13)
    operations = []
    intended: dict[tuple[str, str], bool] = {}
    for _ in range(300):
        kind, contract, on = (
            rng.choice(("quotes", "trades", "depth")),
            rng.choice(contracts),
            rng.random() < 0.6,
        )
        operations.append((kind, contract, on))
        intended[(kind, contract)] = on
    try:
        await client.connect()

        async def run(kind: str, contract: str, on: bool) -> None:
            verb = "subscribe" if on else "unsubscribe"
            await getattr(client, f"{verb}_{kind}")(contract)

        # all at once; the last word per stream is what must hold (gather starts them in order)
        await asyncio.gather(*(run(*op) for op in operations), return_exceptions=True)
        await until(lambda: not client.subscriptions["market"]._next_step(), what="reconciled")
        targets = {"quotes": "GatewayQuote", "trades": "GatewayTrade", "depth": "GatewayDepth"}
        wanted = sorted([targets[k], c] for (k, c), on in intended.items() if on)
        held = server_subscriptions(gateway, "market")
        assert sorted(held) == wanted
        assert len(held) == len({tuple(x) for x in held})  # no duplicates
    finally:
        await client.close()


async def test_r16_the_task_count_stays_flat_through_traffic_and_reconnects(
    gateway: Gateway, contract: str
) -> None:
    client = client_for(gateway)
    try:
        await client.connect()
        await client.subscribe_quotes(contract)
        await client.subscribe_user(ACCOUNT)
        baseline = client.metrics()["tasks"]
        tasks_before = len(asyncio.all_tasks())
        for _ in range(5):
            for session in list(gateway.server.sessions.values()):
                session.abort()
            await until(lambda: client.metrics()["counters"]["reconnects"] >= 1, what="reconnect")
            await until(
                lambda: all(client.state(h) is HubState.CONNECTED for h in ("user", "market")),
                within_s=5,
                what="both hubs back",
            )
        await asyncio.sleep(0.3)
        assert client.metrics()["tasks"] == baseline
        assert len(asyncio.all_tasks()) <= tasks_before + 2  # the server's own per-connection tasks settle
    finally:
        await client.close()
    assert client.metrics()["tasks"] == 0
