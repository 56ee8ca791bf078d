"""``RealtimeClient``: the ProjectX user and market hubs behind one small API.

    tokens = GatewayTokens("http://127.0.0.1:8765", "sim", "sim-api-key-0001")
    async with RealtimeClient(ClientConfig("http://127.0.0.1:8765"), tokens) as client:
        client.on("quote", lambda event: print(event.key, event.data["bestBid"]))
        await client.subscribe_quotes("CON.F.US.MNQ.Z26")
        ...

Each hub has its own supervisor, subscriptions and reconnects (R17); events from both go through
one dispatcher to the callbacks (see ``dispatch``). ``status()`` and ``metrics()`` say, at any
moment, what state each hub is in, what is subscribed, and what was dropped or coalesced.
"""

from __future__ import annotations

import asyncio
import random
from collections import abc
from types import TracebackType
from typing import Any, Self

import aiohttp

from signalr_protocol import Invocation

from .auth import TokenProvider
from .callbacks import Callback, CallbackRegistry, Event, Handle
from .config import ClientConfig
from .dispatch import Dispatcher
from .errors import ConnectError, UsageError
from .hub import HubConnection, HubState, Invoker, StateChange
from .metrics import LoopLagMonitor, Metrics
from .subscriptions import Subscription, SubscriptionSet
from .tasks import TaskSet

HUBS = ("user", "market")


def quotes(contract_id: str) -> Subscription:
    return Subscription("SubscribeContractQuotes", "UnsubscribeContractQuotes", (contract_id,))


def trades(contract_id: str) -> Subscription:
    return Subscription("SubscribeContractTrades", "UnsubscribeContractTrades", (contract_id,))


def depth(contract_id: str) -> Subscription:
    return Subscription("SubscribeContractMarketDepth", "UnsubscribeContractMarketDepth", (contract_id,))


def user_streams(account_id: int) -> list[Subscription]:
    return [
        Subscription("SubscribeAccounts", "UnsubscribeAccounts"),
        Subscription("SubscribeOrders", "UnsubscribeOrders", (account_id,)),
        Subscription("SubscribePositions", "UnsubscribePositions", (account_id,)),
        Subscription("SubscribeTrades", "UnsubscribeTrades", (account_id,)),
    ]


class RealtimeClient:
    def __init__(self, config: ClientConfig, tokens: TokenProvider) -> None:
        self.config = config
        self.tokens = tokens
        self.stats = Metrics()
        self.callbacks = CallbackRegistry(config.callbacks, self.stats)
        self.dispatcher = Dispatcher(config.dispatch, self.callbacks, self.stats, self._resync_depth)
        self.hubs: dict[str, HubConnection] = {}
        self.subscriptions: dict[str, SubscriptionSet] = {}
        self._rng = random.Random(config.seed)
        self._http: aiohttp.ClientSession | None = None
        self._tasks = TaskSet("client")
        self._lag = LoopLagMonitor(self.stats)
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _setup(self) -> None:
        if self._http is not None:
            return
        self._http = aiohttp.ClientSession()
        self._tasks.spawn(self.dispatcher.run(), "dispatcher")
        self._lag.start()
        for name in HUBS:
            hub = HubConnection(
                name,
                self.config,
                self.tokens,
                self._http,
                self.stats,
                on_invocations=self._on_invocations,
                on_state=self._on_state,
                on_open=self._restorer(name),
                on_lost=self._loser(name),
                rng=random.Random(self._rng.random()),
            )
            self.hubs[name] = hub
            subs = self.subscriptions[name] = SubscriptionSet(
                hub, self.stats, self.config.operation_timeout_s
            )
            self._tasks.spawn(subs.run(), f"{name}-subscriptions")

    async def connect(self, hubs: tuple[str, ...] = HUBS, timeout_s: float | None = None) -> None:
        """Connect ``hubs`` concurrently; return when all are CONNECTED.

        Raises ``ConnectError`` naming each hub that is not (it keeps reconnecting unless it
        FAILED); hubs that did connect stay connected."""
        if self._closed:
            raise UsageError("the client is closed")
        unknown = set(hubs) - set(HUBS)
        if unknown:
            raise UsageError(f"unknown hub(s) {sorted(unknown)}: choose from {HUBS}")
        self._setup()
        timeout = timeout_s or self.config.connect_timeout_s
        results = await asyncio.gather(*(self.hubs[h].connect(timeout) for h in hubs), return_exceptions=True)
        failed = {h: r for h, r in zip(hubs, results, strict=True) if isinstance(r, BaseException)}
        for result in failed.values():
            if not isinstance(result, Exception):
                raise result  # cancellation and the like are not connect failures
        if failed:
            detail = "; ".join(f"{h}: {e}" for h, e in failed.items())
            raise ConnectError(",".join(failed), detail)

    async def close(self) -> None:
        """Close both hubs and stop every task the client started. Idempotent, bounded."""
        self._closed = True
        await asyncio.gather(*(hub.close() for hub in self.hubs.values()))
        await self._tasks.cancel_all()
        await self._lag.stop()
        if self._http is not None:
            await self._http.close()
        close_tokens = getattr(self.tokens, "close", None)
        if close_tokens is not None:
            await close_tokens()

    # -- subscriptions --------------------------------------------------------------------------

    def _subs(self, hub: str) -> SubscriptionSet:
        if self._closed:
            raise UsageError("the client is closed")
        self._setup()
        return self.subscriptions[hub]

    async def subscribe_quotes(self, contract_id: str) -> None:
        await self._subs("market").want(quotes(contract_id))

    async def subscribe_trades(self, contract_id: str) -> None:
        await self._subs("market").want(trades(contract_id))

    async def subscribe_depth(self, contract_id: str) -> None:
        await self._subs("market").want(depth(contract_id))

    async def unsubscribe_quotes(self, contract_id: str) -> None:
        await self._subs("market").drop(quotes(contract_id))

    async def unsubscribe_trades(self, contract_id: str) -> None:
        await self._subs("market").drop(trades(contract_id))

    async def unsubscribe_depth(self, contract_id: str) -> None:
        await self._subs("market").drop(depth(contract_id))

    async def subscribe_user(self, account_id: int) -> None:
        """Accounts, and the account's orders, positions and trades."""
        subs = self._subs("user")
        await asyncio.gather(*(subs.want(item) for item in user_streams(account_id)))

    async def unsubscribe_user(self, account_id: int) -> None:
        subs = self._subs("user")
        await asyncio.gather(*(subs.drop(item) for item in user_streams(account_id)[1:]))

    # -- callbacks ------------------------------------------------------------------------------

    def on(self, kind: str, callback: Callback) -> Handle:
        """Call ``callback(event)`` for every event of ``kind``: quote, trade, depth, account,
        order, position, user_trade (user hub), gap (loss reported), state (hub state changes),
        other (any other invocation). Returns a handle; ``handle.remove()`` unregisters."""
        return self.callbacks.add(kind, callback)

    # -- views ----------------------------------------------------------------------------------

    def state(self, hub: str) -> HubState:
        return self.hubs[hub].state if hub in self.hubs else HubState.DISCONNECTED

    def status(self) -> dict[str, Any]:
        return {
            name: {
                "state": hub.state.value,
                "lastError": hub.last_error,
                "subscribed": sorted(str(s) for s in self.subscriptions[name].applied),
                "desired": [str(s) for s in self.subscriptions[name].desired],
                "transitions": [
                    {"from": c.old.value, "to": c.new.value, "reason": c.reason, "at": c.at}
                    for c in hub.transitions
                ],
            }
            for name, hub in self.hubs.items()
        }

    def metrics(self) -> dict[str, Any]:
        snapshot = self.stats.snapshot()
        snapshot["tasks"] = len(self._tasks) + sum(h.task_count for h in self.hubs.values())
        snapshot["callbacks"] = self.callbacks.count()
        snapshot["queued"] = self.dispatcher.pending()
        return snapshot

    # -- wiring ---------------------------------------------------------------------------------

    def _on_invocations(self, hub: str, messages: list[Invocation], now: float) -> Any:
        return self.dispatcher.offer_invocations(hub, messages, now)

    def _on_state(self, change: StateChange) -> None:
        if change.hub in self.subscriptions:
            self.subscriptions[change.hub].hub_changed()
        data = {"from": change.old.value, "to": change.new.value, "reason": change.reason}
        self.dispatcher.notify(Event("state", change.hub, data, change.at, hub=change.hub))

    # The hub needs these hooks before its SubscriptionSet (which needs the hub) exists: look it up late.
    def _restorer(self, hub: str) -> abc.Callable[[Invoker], abc.Awaitable[None]]:
        return lambda invoke: self.subscriptions[hub].restore(invoke)  # noqa: PLW0108

    def _loser(self, hub: str) -> abc.Callable[[], None]:
        return lambda: self.subscriptions[hub].lost()  # noqa: PLW0108

    def _resync_depth(self, contract_id: str) -> None:
        self.subscriptions["market"].resync(depth(contract_id))
