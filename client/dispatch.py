"""Between the socket and the callbacks: bounded queues with a policy per kind (R5, R15).

The hubs' readers hand every event to the ``Dispatcher``; one task (owned by the client) runs the
callbacks. User events have their own queue and go first; market events keep their arrival
order in a second queue, where:

- a quote for a contract that already has an unread quote replaces it in place (coalesced);
- past ``depth_queue`` waiting depth increments, the contract with the oldest one loses all of its
  waiting increments and is resynchronised (resubscribed: the server sends a fresh reset and
  snapshot); its increments are dropped until that snapshot arrives;
- past ``trade_queue`` waiting trades, the oldest is dropped;
- user events are never dropped: a full user queue makes the user hub's reader wait.

Every drop is counted, and reported to ``gap`` callbacks (one event per contract and cause, per
dispatch round), as is a jump in a stream's ``seq`` header: loss is never silent.
"""

from __future__ import annotations

import asyncio
from collections import Counter, abc, deque
from typing import Any

from .callbacks import CallbackRegistry, Event
from .config import DispatchPolicy
from .metrics import Metrics

DOM_RESET = 6
MARKET_KINDS = {"GatewayQuote": "quote", "GatewayTrade": "trade", "GatewayDepth": "depth"}
USER_KINDS = {
    "GatewayUserAccount": "account",
    "GatewayUserOrder": "order",
    "GatewayUserPosition": "position",
    "GatewayUserTrade": "user_trade",
}


class _Slot:
    """A quote's place in the market queue; a newer quote for the contract replaces ``event``."""

    __slots__ = ("event",)

    def __init__(self, event: Event) -> None:
        self.event = event


class Dispatcher:
    def __init__(
        self,
        policy: DispatchPolicy,
        registry: CallbackRegistry,
        metrics: Metrics,
        resync_depth: abc.Callable[[str], None],
    ) -> None:
        self.policy = policy
        self.registry = registry
        self.metrics = metrics
        self.resync_depth = resync_depth
        self._market: deque[Event | _Slot] = deque()
        self._user: deque[Event] = deque()
        self._quotes: dict[str | None, _Slot] = {}  # unread quote per contract
        self._waiting = Counter[str]()  # trades and depth waiting
        self._resyncing: set[str] = set()
        self._gaps: Counter[tuple[str | None, str]] = Counter()  # (key, cause) -> dropped
        self._last_seq: dict[tuple[str, str | None], int] = {}
        self._ready = asyncio.Event()
        self._user_space = asyncio.Event()
        self._user_space.set()

    # -- the readers' side ----------------------------------------------------------------------

    def event_for(
        self, hub: str, target: str, arguments: list[Any], headers: abc.Mapping[str, str], now: float
    ) -> Event:
        """Classify an invocation from ``hub`` as an Event (and note any ``seq`` gap)."""
        kind = MARKET_KINDS.get(target) if hub == "market" else USER_KINDS.get(target)
        key: str | None = None
        data: Any = arguments
        if kind in ("quote", "trade", "depth") and len(arguments) == 2:
            key, data = str(arguments[0]), arguments[1]
        elif kind is not None and len(arguments) == 1 and isinstance(arguments[0], dict):
            data = arguments[0]
            inner = data.get("data") if isinstance(data.get("data"), dict) else {}
            account = inner.get("id") if kind == "account" else inner.get("accountId")
            key = None if account is None else str(account)
        else:
            kind = "other"
        seq = _seq(headers)
        if seq is not None:
            self._check_seq(target, key, seq)
        return Event(kind, key, data, now, seq, hub)

    def _check_seq(self, target: str, key: str | None, seq: int) -> None:
        last = self._last_seq.get((target, key))
        self._last_seq[(target, key)] = seq
        if last is not None and seq != last + 1:
            self.metrics.count("seq_gaps")
            self._gaps[(key, f"{target} seq {last} -> {seq}")] += max(1, seq - last - 1)
            self._ready.set()

    def offer_market(self, event: Event) -> None:
        self.metrics.count("events_received")
        if event.kind == "quote":
            slot = self._quotes.get(event.key)
            if slot is not None:
                slot.event = event
                self.metrics.count("quotes_coalesced")
                return
            slot = self._quotes[event.key] = _Slot(event)
            self._market.append(slot)
        elif event.kind == "depth":
            if not self._accept_depth(event):
                return
            self._append_counted(event)
        elif event.kind == "trade":
            if self._waiting["trade"] >= self.policy.trade_queue:
                self._drop_oldest_trade()
            self._append_counted(event)
        else:
            self._market.append(event)
        self._ready.set()

    def try_offer_user(self, event: Event) -> bool:
        """Queue a user event if there is room; False when the user queue is full."""
        if len(self._user) >= self.policy.user_queue:
            return False
        self.metrics.count("events_received")
        self._user.append(event)
        self._ready.set()
        return True

    async def offer_user(self, event: Event) -> None:
        """Queue a user event; waits (the reader stops reading) while the user queue is full."""
        self.metrics.count("events_received")
        while len(self._user) >= self.policy.user_queue:
            self.metrics.count("user_backpressure")
            self._user_space.clear()
            await self._user_space.wait()
        self._user.append(event)
        self._ready.set()

    def _append_counted(self, event: Event) -> None:
        self._waiting[event.kind] += 1
        self._market.append(event)

    def _accept_depth(self, event: Event) -> bool:
        key = event.key or ""
        if key in self._resyncing:
            if not _is_snapshot(event.data):
                self.metrics.count("depth_dropped")
                return False
            self._resyncing.discard(key)
        while self._waiting["depth"] >= self.policy.depth_queue:
            oldest = next(e for e in self._market if isinstance(e, Event) and e.kind == "depth")
            self._purge_depth(oldest.key or "")
            if key in self._resyncing:
                self.metrics.count("depth_dropped")
                return False
        return True

    def _purge_depth(self, key: str) -> None:
        kept: deque[Event | _Slot] = deque()
        dropped = 0
        for item in self._market:
            if isinstance(item, Event) and item.kind == "depth" and item.key == key:
                dropped += 1
            else:
                kept.append(item)
        self._market = kept
        self._waiting["depth"] -= dropped
        self.metrics.count("depth_dropped", dropped)
        self.metrics.count("depth_resyncs")
        self._gaps[(key, "depth queue full: resubscribed for a new snapshot")] += dropped
        self._resyncing.add(key)
        self.resync_depth(key)

    def _drop_oldest_trade(self) -> None:
        for index, item in enumerate(self._market):
            if isinstance(item, Event) and item.kind == "trade":
                del self._market[index]
                self._waiting["trade"] -= 1
                self.metrics.count("trades_dropped")
                self._gaps[(item.key, "trade queue full: oldest trade dropped")] += 1
                return

    # -- the dispatching side -------------------------------------------------------------------

    def pending(self) -> int:
        return len(self._market) + len(self._user)

    async def run(self) -> None:
        """Dispatch until cancelled (the client owns this task)."""
        loop = asyncio.get_running_loop()
        while True:
            await self._ready.wait()
            self._ready.clear()
            done = 0
            while (event := self._next()) is not None:
                await self.registry.dispatch(event)
                self.metrics.count("events_dispatched")
                if event.kind not in ("gap", "state"):
                    self.metrics.sample("dispatch_delay_ms", (loop.time() - event.received_at) * 1000)
                done += 1
                if done % self.policy.batch == 0:
                    await asyncio.sleep(0)  # let the readers and timers run

    def _next(self) -> Event | None:
        if self._gaps:
            (key, cause), dropped = self._gaps.popitem()
            now = asyncio.get_running_loop().time()
            return Event("gap", key, {"cause": cause, "dropped": dropped}, now)
        if self._user:
            event = self._user.popleft()
            if len(self._user) < self.policy.user_queue:
                self._user_space.set()
            return event
        if self._market:
            item = self._market.popleft()
            if isinstance(item, _Slot):
                del self._quotes[item.event.key]
                return item.event
            if item.kind in ("trade", "depth"):
                self._waiting[item.kind] -= 1
            return item
        return None

    def notify(self, event: Event) -> None:
        """Queue a client-generated event (``state``) ahead of market data."""
        self._user.append(event)
        self._ready.set()


def _seq(headers: abc.Mapping[str, str]) -> int | None:
    raw = headers.get("seq")
    return int(raw) if raw is not None and raw.isdigit() else None


def _is_snapshot(data: Any) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and data[0].get("type") == DOM_RESET
    )
