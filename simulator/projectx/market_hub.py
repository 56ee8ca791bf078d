"""``/hubs/market``: quotes, trades and depth per contract, as the Gateway streams them.

Methods (one contract id each, idempotent): SubscribeContractQuotes, SubscribeContractTrades,
SubscribeContractMarketDepth and their Unsubscribe*. Events: ``GatewayQuote``, ``GatewayTrade``,
``GatewayDepth``, each invoked with two arguments ``[contractId, data]``. A depth subscriber first
gets a reset and a snapshot of the book, then increments (from price steps, trades and size
changes), from which it can rebuild the book exactly.

The market moves whether or not anyone listens, so the same seed and profile give the same
stream: one task drives every contract from a ``StreamSchedule`` at the ``StreamProfile``'s rates.
When the server cannot keep up, stream time slips behind the wall clock (by at most ``MAX_LAG_S``
worth of catch-up) instead of dropping or reordering events; ``lag_s`` says by how much in total.
The profile changes live through ``set_profile`` (the control API).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import abc
from typing import Any

from signalr_protocol import Invocation

from ..hub import Hub, HubError, hub_method
from ..session import HubSession
from ..tasks import stop
from .market import ContractMarket
from .profile import StreamProfile
from .replay import Recorder
from .schedule import StreamSchedule
from .streams import StreamCounters

QUOTES, TRADES, DEPTH = "GatewayQuote", "GatewayTrade", "GatewayDepth"
SUBS = "market.subscriptions"
BATCH = 1024  # events generated between yields to the event loop
MAX_LAG_S = 0.25  # behind by more than this, stream time slips instead of bursting to catch up


class MarketHub(Hub):
    name = "market"

    def __init__(
        self,
        markets: dict[str, ContractMarket],
        profile: StreamProfile,
        counters: StreamCounters,
        on_price: abc.Callable[[str], None],
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.markets = markets
        self.counters = counters
        self.on_price = on_price
        contracts = {cid: m.contract.symbol for cid, m in markets.items()}
        self.schedule = StreamSchedule(contracts, profile, seed)
        self.events = 0  # generated so far
        self.lag_s = 0.0  # how far stream time has slipped behind the wall clock
        self._steps: dict[str, abc.Callable[[str], None]] = {
            "quote": self._price_step,
            "trade": self._trade,
            "depth": self._churn,
        }
        self.generate = True  # False during a replay: the market does not move on its own
        self.recorder: Recorder | None = None
        self.snapshot_of: abc.Callable[[str], list[dict[str, Any]]] = lambda cid: markets[
            cid
        ].depth_snapshot()
        self._origin: float | None = None  # loop time at stream time 0
        self._task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()

    @property
    def profile(self) -> StreamProfile:
        return self.schedule.profile

    def stream_time(self) -> float:
        """Now, in stream time (0 before the market starts)."""
        if self._origin is None:
            return 0.0
        return asyncio.get_running_loop().time() - self._origin

    async def start(self) -> None:
        self._origin = asyncio.get_running_loop().time()
        if self.generate:
            self._task = asyncio.create_task(self._drive())

    async def close(self) -> None:
        await stop(self._task)
        self._task = None

    def set_profile(self, profile: StreamProfile) -> None:
        """Switch rates or bursts now; each stream keeps its progress towards its next event."""
        self.schedule.change(profile, self.stream_time())
        self._wakeup.set()

    def run_until(self, t: float, limit: int) -> int:
        """Generate and publish the events due by stream time ``t``, at most ``limit``; how many."""
        events = self.schedule.take(t, limit)
        steps = self._steps
        for _, contract_id, kind in events:
            steps[kind](contract_id)
        self.events += len(events)
        return len(events)

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._origin is not None
        while True:
            now = loop.time() - self._origin
            behind = now - self.schedule.next_time()
            if behind > MAX_LAG_S:
                self._origin += behind - MAX_LAG_S
                self.lag_s += behind - MAX_LAG_S
                now = loop.time() - self._origin
            try:
                produced = self.run_until(now, BATCH)
            except Exception as exc:  # one bad step (a fill, a publish) must not end the market
                self.tasks.step_failed("market", exc)
                await asyncio.sleep(0.05)  # the batch is lost; never spin on a step that keeps failing
                continue
            if produced == BATCH:
                await asyncio.sleep(0)
                continue
            delay = self.schedule.next_time() - (loop.time() - self._origin)
            self._wakeup.clear()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(None if math.isinf(delay) else delay):
                        await self._wakeup.wait()  # wakes early when the profile changes

    # -- generation ----------------------------------------------------------------------------

    def _subscribers(self, kind: str, contract_id: str) -> list[HubSession]:
        return [s for s in self.sessions.values() if (kind, contract_id) in s.items.get(SUBS, ())]

    def _publish(self, kind: str, contract_id: str, data: Any) -> None:
        headers = self.counters.headers(kind, contract_id)
        arguments = [contract_id, data]
        if self.recorder is not None:
            self.recorder.publish(self.name, kind, contract_id, arguments)
        subscribers = self._subscribers(kind, contract_id)
        if subscribers:
            self.broadcast(kind, arguments, subscribers, headers)

    def replay_publish(self, target: str, contract_id: str, arguments: list[Any]) -> bool:
        """Send a recorded event; False when its contract or target is not on this hub."""
        if contract_id not in self.markets or target not in (QUOTES, TRADES, DEPTH) or len(arguments) != 2:
            return False
        self._publish(target, contract_id, arguments[1])
        return True

    def _price_step(self, contract_id: str) -> None:
        market = self.markets[contract_id]
        changes = market.step_price()
        self._publish(DEPTH, contract_id, changes)
        self._publish(QUOTES, contract_id, market.quote())
        self.on_price(contract_id)

    def _trade(self, contract_id: str) -> None:
        trades, depth = self.markets[contract_id].trade()
        self._publish(TRADES, contract_id, trades)
        self._publish(DEPTH, contract_id, depth)

    def _churn(self, contract_id: str) -> None:
        self._publish(DEPTH, contract_id, self.markets[contract_id].churn_depth())

    # -- methods -------------------------------------------------------------------------------

    def _subscribe(self, caller: HubSession, kind: str, contract_id: Any, on: bool) -> None:
        if not isinstance(contract_id, str) or contract_id not in self.markets:
            raise HubError(f"Contract '{contract_id}' was not found.")
        subs: set[tuple[str, str]] = caller.items.setdefault(SUBS, set())
        if on and (kind, contract_id) not in subs:
            subs.add((kind, contract_id))
            if kind == DEPTH:
                caller.send(DEPTH, contract_id, self.snapshot_of(contract_id))
        elif not on:
            subs.discard((kind, contract_id))

    @hub_method("SubscribeContractQuotes")
    async def subscribe_quotes(self, caller: HubSession, contract_id: Any) -> None:
        self._subscribe(caller, QUOTES, contract_id, True)

    @hub_method("SubscribeContractTrades")
    async def subscribe_trades(self, caller: HubSession, contract_id: Any) -> None:
        self._subscribe(caller, TRADES, contract_id, True)

    @hub_method("SubscribeContractMarketDepth")
    async def subscribe_depth(self, caller: HubSession, contract_id: Any) -> None:
        self._subscribe(caller, DEPTH, contract_id, True)

    @hub_method("UnsubscribeContractQuotes")
    async def unsubscribe_quotes(self, caller: HubSession, contract_id: Any) -> None:
        self._subscribe(caller, QUOTES, contract_id, False)

    @hub_method("UnsubscribeContractTrades")
    async def unsubscribe_trades(self, caller: HubSession, contract_id: Any) -> None:
        self._subscribe(caller, TRADES, contract_id, False)

    @hub_method("UnsubscribeContractMarketDepth")
    async def unsubscribe_depth(self, caller: HubSession, contract_id: Any) -> None:
        self._subscribe(caller, DEPTH, contract_id, False)

    def subscriptions(self, session: HubSession) -> list[list[Any]]:
        return sorted([kind, contract] for kind, contract in session.items.get(SUBS, ()))

    def stream_key(self, message: Invocation) -> str | None:
        """The contract id: every market event is ``[contractId, data]``."""
        if message.target in (QUOTES, TRADES, DEPTH) and message.arguments:
            return str(message.arguments[0])
        return None
