"""The dispatcher's policies, one kind at a time (R5, R15)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from client.callbacks import CallbackRegistry, Event
from client.config import CallbackPolicy, DispatchPolicy
from client.dispatch import RESYNCING, Dispatcher
from client.metrics import Metrics


def make(policy: DispatchPolicy) -> tuple[Dispatcher, Metrics, list[str]]:
    metrics = Metrics()
    resynced: list[str] = []
    registry = CallbackRegistry(CallbackPolicy(), metrics)
    return Dispatcher(policy, registry, metrics, resynced.append), metrics, resynced


def market(dispatcher: Dispatcher, target: str, contract: str, data: Any, seq: int | None = None) -> None:
    headers = {"seq": str(seq)} if seq is not None else {}
    event = dispatcher.event_for("market", target, [contract, data], headers, 0.0)
    if event is not None:  # None: a duplicate, dropped
        dispatcher.offer_market(event)


def drain(dispatcher: Dispatcher) -> list[Event]:
    out = []
    while (event := dispatcher._next()) is not None:
        out.append(event)
    return out


async def test_quotes_coalesce_in_place_and_keep_their_turn() -> None:
    dispatcher, metrics, _ = make(DispatchPolicy())
    market(dispatcher, "GatewayQuote", "A", {"bid": 1})
    market(dispatcher, "GatewayTrade", "A", [{"price": 1}])
    market(dispatcher, "GatewayQuote", "A", {"bid": 2})
    market(dispatcher, "GatewayQuote", "B", {"bid": 9})
    events = drain(dispatcher)
    assert [(e.kind, e.key, e.data) for e in events] == [
        ("quote", "A", {"bid": 2}),
        ("trade", "A", [{"price": 1}]),
        ("quote", "B", {"bid": 9}),
    ]
    assert metrics.counters["quotes_coalesced"] == 1


async def test_a_full_depth_queue_resyncs_the_contract_and_waits_for_its_snapshot() -> None:
    dispatcher, metrics, resynced = make(DispatchPolicy(depth_queue=3))
    for n in range(3):
        market(dispatcher, "GatewayDepth", "A", [{"type": 1, "n": n}])
    market(dispatcher, "GatewayDepth", "B", [{"type": 1}])  # A is purged to make room
    market(dispatcher, "GatewayDepth", "A", [{"type": 2}])  # still waiting for A's snapshot: dropped
    market(dispatcher, "GatewayDepth", "A", [{"type": 6}, {"type": 1}])  # the snapshot: accepted
    events = drain(dispatcher)
    assert resynced == ["A"]
    gaps = sorted((e.key, e.data["cause"], e.data["dropped"]) for e in events if e.kind == "gap")
    assert gaps == [
        ("A", "depth queue full: resubscribed for a new snapshot", 3),
        ("A", RESYNCING, 1),  # the increment that came before A's new snapshot is reported too
    ]
    assert [(e.key, e.data[0]["type"]) for e in events if e.kind == "depth"] == [("B", 1), ("A", 6)]
    assert metrics.counters["depth_dropped"] == 4


offers = st.lists(
    st.tuples(
        st.sampled_from(["GatewayDepth", "GatewayTrade", "GatewayQuote"]),
        st.sampled_from(["A", "B", "C"]),
        st.booleans(),  # a depth snapshot (DOM reset first) or an increment
        st.sampled_from([0, 0, 0, 1, 3]),  # events dispatched before the next offer: mostly none
    ),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(offers)
def test_every_market_drop_is_reported_in_a_gap(steps: list[tuple[str, str, bool, int]]) -> None:
    """R5/R15's invariant: whatever arrives in whatever order, the drops the counters count are the
    drops the ``gap`` events report, and every trade and depth message is either dispatched or
    named (by its ``seq``) in exactly one gap (quotes are coalesced: replaced, not dropped)."""
    kinds = {"trade": "GatewayTrade", "depth": "GatewayDepth"}

    async def run() -> None:
        dispatcher, metrics, _ = make(DispatchPolicy(trade_queue=3, depth_queue=3))
        offered: set[tuple[str, str, int]] = set()
        last: Counter[tuple[str, str]] = Counter()
        events: list[Event] = []
        for target, key, snapshot, dispatched in steps:
            last[(target, key)] += 1  # each stream numbered from 1, no jumps: no seq gaps
            seq = last[(target, key)]
            data = [{"type": 6}, {"type": 1}] if snapshot else [{"type": 1}]
            market(dispatcher, target, key, data if target == "GatewayDepth" else {"n": seq}, seq)
            if target != "GatewayQuote":
                offered.add((target, key, seq))
            events += [e for _ in range(dispatched) if (e := dispatcher._next()) is not None]
        events += drain(dispatcher)
        gaps = [e.data for e in events if e.kind == "gap"]
        reported = Counter[str]()
        for gap in gaps:
            reported[gap["target"]] += gap["dropped"]
        assert reported == +Counter(
            {
                "GatewayDepth": metrics.counters["depth_dropped"],
                "GatewayTrade": metrics.counters["trades_dropped"],
            }
        )
        named = [
            (e.data["target"], e.key, n)
            for e in events
            if e.kind == "gap"
            for first, last_seq in e.data["ranges"]
            for n in range(first, last_seq + 1)
        ]
        delivered = [(kinds[e.kind], e.key, e.seq) for e in events if e.kind in kinds]
        assert sorted(named + delivered) == sorted(offered)  # each once: none lost, none twice

    asyncio.run(run())


async def test_a_full_trade_queue_drops_the_oldest_and_says_so() -> None:
    dispatcher, metrics, _ = make(DispatchPolicy(trade_queue=2))
    for n in range(5):
        market(dispatcher, "GatewayTrade", "A", [{"n": n}])
    events = drain(dispatcher)
    assert [e.data[0]["n"] for e in events if e.kind == "trade"] == [3, 4]
    [gap] = [e for e in events if e.kind == "gap"]
    assert gap.data["dropped"] == 3
    assert metrics.counters["trades_dropped"] == 3


async def test_a_jump_in_seq_is_reported_as_a_gap() -> None:
    dispatcher, metrics, _ = make(DispatchPolicy())
    for seq in (1, 2, 5, 6):
        market(dispatcher, "GatewayQuote", "A", {}, seq)
        drain(dispatcher)
    market(dispatcher, "GatewayQuote", "A", {}, 7)
    events = drain(dispatcher)
    assert metrics.counters["seq_gaps"] == 1
    assert [e.kind for e in events] == ["quote"]


async def test_a_repeated_or_older_seq_is_a_duplicate_and_is_dropped() -> None:
    dispatcher, metrics, _ = make(DispatchPolicy())
    for seq in (1, 2, 2, 3, 1, 4):
        market(dispatcher, "GatewayTrade", "A", [{"n": seq}], seq)
    events = drain(dispatcher)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert metrics.counters["duplicates_dropped"] == 2
    assert metrics.counters["seq_gaps"] == 0


async def test_user_events_wait_for_room_and_are_never_dropped() -> None:
    dispatcher, metrics, _ = make(DispatchPolicy(user_queue=2))
    events = [
        dispatcher.event_for(
            "user", "GatewayUserOrder", [{"action": 0, "data": {"id": n, "accountId": 1}}], {}, 0.0
        )
        for n in range(4)
    ]
    assert dispatcher.try_offer_user(events[0])
    assert dispatcher.try_offer_user(events[1])
    assert not dispatcher.try_offer_user(events[2])
    waiting = asyncio.ensure_future(dispatcher.offer_user(events[2]))
    await asyncio.sleep(0)
    assert not waiting.done()
    first = dispatcher._next()
    await asyncio.wait_for(waiting, 1)
    assert first is events[0]
    assert [e.data["data"]["id"] for e in drain(dispatcher)] == [1, 2]
    assert metrics.counters["user_backpressure"] == 1
