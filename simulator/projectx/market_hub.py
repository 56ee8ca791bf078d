"""``/hubs/market``: quotes, trades and depth per contract, as the Gateway streams them.

Methods (one contract id each, idempotent): SubscribeContractQuotes, SubscribeContractTrades,
SubscribeContractMarketDepth and their Unsubscribe*. Events: ``GatewayQuote``, ``GatewayTrade``,
``GatewayDepth``, each invoked with two arguments ``[contractId, data]``. A depth subscriber first
gets a reset and a snapshot of the book, then increments.

The market moves whether or not anyone listens (so the same seed gives the same stream): a price
step at ``quote_rate`` per second per contract (a depth increment and a quote), a trade at
``trade_rate``. Rates change live through ``set_rates``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import abc
from dataclasses import dataclass
from typing import Any

from ..hub import Hub, HubError, hub_method
from ..session import HubSession
from .market import ContractMarket
from .streams import StreamCounters

QUOTES, TRADES, DEPTH = "GatewayQuote", "GatewayTrade", "GatewayDepth"
SUBS = "market.subscriptions"


@dataclass(slots=True)
class Rates:
    quote_per_s: float = 4.0  # price steps (quote + depth increment) per contract per second
    trade_per_s: float = 2.0  # trades per contract per second


class MarketHub(Hub):
    name = "market"

    def __init__(
        self,
        markets: dict[str, ContractMarket],
        rates: Rates,
        counters: StreamCounters,
        on_price: abc.Callable[[str], None],
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.markets = markets
        self.rates = rates
        self.counters = counters
        self.on_price = on_price
        self._rng = random.Random(f"schedule:{seed}")
        self._tasks: list[asyncio.Task[None]] = []
        self._rates_changed = asyncio.Event()

    async def start(self) -> None:
        for contract_id in self.markets:
            self._tasks.append(asyncio.create_task(self._run(contract_id, self._price_step, "quote_per_s")))
            self._tasks.append(asyncio.create_task(self._run(contract_id, self._trade, "trade_per_s")))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def set_rates(self, *, quote_per_s: float | None = None, trade_per_s: float | None = None) -> None:
        if quote_per_s is not None:
            self.rates.quote_per_s = quote_per_s
        if trade_per_s is not None:
            self.rates.trade_per_s = trade_per_s
        self._rates_changed.set()
        self._rates_changed = asyncio.Event()

    async def _run(self, contract_id: str, step: abc.Callable[[str], None], rate_name: str) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            rate = getattr(self.rates, rate_name)
            if rate <= 0:
                await self._rates_changed.wait()
                next_at = loop.time()
                continue
            next_at += 1.0 / rate
            delay = next_at - loop.time()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._rates_changed.wait()  # wakes early when the rate changes
            if delay < -1.0:  # fell behind by more than a second: do not burst to catch up
                next_at = loop.time()
            step(contract_id)

    # -- generation ----------------------------------------------------------------------------

    def _subscribers(self, kind: str, contract_id: str) -> list[HubSession]:
        return [s for s in self.sessions.values() if (kind, contract_id) in s.items.get(SUBS, ())]

    def _publish(self, kind: str, contract_id: str, data: Any) -> None:
        headers = self.counters.headers(kind, contract_id)
        subscribers = self._subscribers(kind, contract_id)
        if subscribers:
            self.broadcast(kind, [contract_id, data], subscribers, headers)

    def _price_step(self, contract_id: str) -> None:
        market = self.markets[contract_id]
        changes = market.step_price()
        self._publish(DEPTH, contract_id, changes)
        self._publish(QUOTES, contract_id, market.quote())
        self.on_price(contract_id)

    def _trade(self, contract_id: str) -> None:
        self._publish(TRADES, contract_id, self.markets[contract_id].trade())

    # -- methods -------------------------------------------------------------------------------

    def _subscribe(self, caller: HubSession, kind: str, contract_id: Any, on: bool) -> None:
        if not isinstance(contract_id, str) or contract_id not in self.markets:
            raise HubError(f"Contract '{contract_id}' was not found.")
        subs: set[tuple[str, str]] = caller.items.setdefault(SUBS, set())
        if on and (kind, contract_id) not in subs:
            subs.add((kind, contract_id))
            if kind == DEPTH:
                caller.send(DEPTH, contract_id, self.markets[contract_id].depth_snapshot())
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
