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
dispatch round, naming the dropped messages' ``seq`` ranges when the server numbers them), as is a
jump in a stream's ``seq`` header: loss is never silent.
"""

from __future__ import annotations

import asyncio
from collections import Counter, abc, deque
from typing import Any

from signalr_protocol import Invocation

from .callbacks import CallbackRegistry, Event
from .config import DispatchPolicy
from .metrics import Metrics

DOM_RESET = 6
RESYNCING = "depth resynchronising: increment before the new snapshot dropped"
MAX_RANGES = 256  # seq ranges kept per gap event: a stalled dispatcher must not grow them unbounded
SAMPLE_EVERY = 16  # dispatch delay is sampled, not measured for every event
MARKET_KINDS = {"GatewayQuote": "quote", "GatewayTrade": "trade", "GatewayDepth": "depth"}
USER_KINDS = {
    "GatewayUserAccount": "account",
    "GatewayUserOrder": "order",
    "GatewayUserPosition": "position",
    "GatewayUserTrade": "user_trade",
}


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
        self._market: deque[Event] = deque()
        self._user: deque[Event] = deque()
        # The unread quote of each contract, which is also in ``_market``: a newer quote is written
        # into it in place (an Event leaves this dict when it is dispatched, never to change again).
        self._quotes: dict[str | None, Event] = {}
        self._waiting = Counter[str]()  # trades and depth waiting
        self._resyncing: set[str] = set()
        self._gaps: Counter[tuple[str | None, str, str]] = Counter()  # (key, target, cause) -> dropped
        self._gap_ranges: dict[tuple[str | None, str, str], list[list[int]]] = {}  # their seq runs
        self._seq_gaps: deque[Event] = deque()
        self._last_seq: dict[tuple[str, str | None], int] = {}
        self._ready = asyncio.Event()
        self._user_space = asyncio.Event()
        self._user_space.set()
        self._counters = metrics.counters  # the hot ones are bumped directly

    # -- the readers' side ----------------------------------------------------------------------

    def event_for(
        self, hub: str, target: str, arguments: abc.Sequence[Any], headers: abc.Mapping[str, str], now: float
    ) -> Event | None:
        """Classify an invocation from ``hub`` as an Event (and note any ``seq`` gap); None for a
        duplicate of a message already seen (same or older ``seq``), which is dropped and counted."""
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
        if seq is not None and not self._check_seq(target, key, seq):
            return None  # a duplicate
        return Event(kind, key, data, now, seq, hub)

    def offer_invocations(
        self, hub: str, messages: list[Invocation], now: float
    ) -> abc.Coroutine[Any, Any, None] | None:
        """Queue a frame's worth of invocations from ``hub``. Returns a coroutine to await when
        the user queue is full (the reader must stop reading until it has room), else None.

        The market path is the hot one (every quote of a flood passes here), so it is inlined."""
        if hub != "market":
            for index, message in enumerate(messages):
                event = self.event_for(hub, message.target, message.arguments, message.headers, now)
                if event is None:
                    continue
                if event.kind == "other":
                    self.offer_market(event)
                elif not self.try_offer_user(event):
                    return self._offer_users(event, hub, messages[index + 1 :], now)
            return None
        quotes, market, kinds = self._quotes, self._market, MARKET_KINDS
        coalesced = received = 0
        for message in messages:
            arguments = message.arguments
            kind = kinds.get(message.target)
            if kind is None or len(arguments) != 2:
                if (
                    other := self.event_for(hub, message.target, arguments, message.headers, now)
                ) is not None:
                    self.offer_market(other)
                continue
            key = arguments[0] if type(arguments[0]) is str else str(arguments[0])
            seq = None
            if message.headers:
                seq = _seq(message.headers)
                if seq is not None and not self._check_seq(message.target, key, seq):
                    continue  # a duplicate
            if kind != "quote":
                self.offer_market(Event(kind, key, arguments[1], now, seq, hub))
                continue
            received += 1
            unread = quotes.get(key)
            if unread is not None:
                unread.data, unread.received_at, unread.seq = arguments[1], now, seq
                coalesced += 1
            else:
                event = quotes[key] = Event(kind, key, arguments[1], now, seq, hub)
                market.append(event)
        self._counters["events_received"] += received
        if coalesced:
            self._counters["quotes_coalesced"] += coalesced
        self._ready.set()
        return None

    async def _offer_users(self, first: Event, hub: str, messages: list[Invocation], now: float) -> None:
        await self.offer_user(first)
        for message in messages:
            event = self.event_for(hub, message.target, message.arguments, message.headers, now)
            if event is None:
                continue
            if event.kind == "other":
                self.offer_market(event)
            else:
                await self.offer_user(event)

    def _check_seq(self, target: str, key: str | None, seq: int) -> bool:
        """Note ``seq`` of a stream; False for a duplicate (or older) message, to be dropped."""
        last = self._last_seq.get((target, key))
        if last is not None and seq <= last:
            self._counters["duplicates_dropped"] += 1
            return False
        self._last_seq[(target, key)] = seq
        if last is not None and seq != last + 1:
            self.metrics.count("seq_gaps")
            data = {
                "cause": "seq",
                "target": target,
                "after": last,
                "before": seq,
                "dropped": max(0, seq - last - 1),
            }
            self._seq_gaps.append(Event("gap", key, data, asyncio.get_running_loop().time()))
            self._ready.set()
        return True

    def offer_market(self, event: Event) -> None:
        self._counters["events_received"] += 1
        if event.kind == "quote":
            unread = self._quotes.get(event.key)
            if unread is not None:
                unread.data, unread.received_at, unread.seq = event.data, event.received_at, event.seq
                self.metrics.count("quotes_coalesced")
                return
            self._quotes[event.key] = event
            self._market.append(event)
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
                self._drop_while_resyncing(event)
                return False
            self._resyncing.discard(key)
        while self._waiting["depth"] >= self.policy.depth_queue:
            oldest = next(e for e in self._market if e.kind == "depth")
            self._purge_depth(oldest.key or "")
            if key in self._resyncing:
                self._drop_while_resyncing(event)
                return False
        return True

    def _drop_while_resyncing(self, event: Event) -> None:
        """An increment of a contract waiting for its fresh snapshot is useless (the book it applies
        to was thrown away): dropped, and reported like every other drop."""
        self.metrics.count("depth_dropped")
        self._note_drop((event.key, "GatewayDepth", RESYNCING), event.seq)

    def _note_drop(self, gap: tuple[str | None, str, str], seq: int | None) -> None:
        self._gaps[gap] += 1
        if seq is None:
            return
        ranges = self._gap_ranges.setdefault(gap, [])
        if ranges and ranges[-1][1] + 1 == seq:
            ranges[-1][1] = seq
        elif len(ranges) < MAX_RANGES:
            ranges.append([seq, seq])

    def _purge_depth(self, key: str) -> None:
        kept: deque[Event] = deque()
        dropped = 0
        gap = (key, "GatewayDepth", "depth queue full: resubscribed for a new snapshot")
        for item in self._market:
            if item.kind == "depth" and item.key == key:
                dropped += 1
                self._note_drop(gap, item.seq)
            else:
                kept.append(item)
        self._market.clear()  # in place: the dispatch loop holds this deque
        self._market.extend(kept)
        self._waiting["depth"] -= dropped
        self.metrics.count("depth_dropped", dropped)
        self.metrics.count("depth_resyncs")
        self._resyncing.add(key)
        self.resync_depth(key)

    def _drop_oldest_trade(self) -> None:
        for index, item in enumerate(self._market):
            if item.kind == "trade":
                del self._market[index]
                self._waiting["trade"] -= 1
                self.metrics.count("trades_dropped")
                self._note_drop(
                    (item.key, "GatewayTrade", "trade queue full: oldest trade dropped"), item.seq
                )
                return

    # -- the dispatching side -------------------------------------------------------------------

    def pending(self) -> int:
        return len(self._market) + len(self._user)

    async def run(self) -> None:
        """Dispatch until cancelled (the client owns this task)."""
        loop = asyncio.get_running_loop()
        registry, market, quotes, batch = self.registry, self._market, self._quotes, self.policy.batch
        while True:
            await self._ready.wait()
            self._ready.clear()
            done = 0
            while True:
                if self._gaps or self._seq_gaps or self._user or not market:
                    event = self._next()
                    if event is None:
                        break
                else:  # the hot path, inlined: market events in arrival order
                    event = market.popleft()
                    if event.kind == "quote":
                        del quotes[event.key]
                    elif event.kind in ("trade", "depth"):
                        self._waiting[event.kind] -= 1
                if event.kind in registry.async_kinds:
                    await registry.dispatch(event)
                else:
                    registry.dispatch_sync(event)
                done += 1
                if done % SAMPLE_EVERY == 0 and event.kind not in ("gap", "state"):
                    self.metrics.sample("dispatch_delay_ms", (loop.time() - event.received_at) * 1000)
                if done == batch:
                    self._counters["events_dispatched"] += done
                    done = 0
                    await asyncio.sleep(0)  # let the readers and timers run
            self._counters["events_dispatched"] += done

    def _next(self) -> Event | None:
        if self._seq_gaps:
            return self._seq_gaps.popleft()
        if self._gaps:
            gap, dropped = self._gaps.popitem()
            key, target, cause = gap
            data: dict[str, Any] = {"cause": cause, "target": target, "dropped": dropped}
            if (ranges := self._gap_ranges.pop(gap, None)) is not None:
                data["ranges"] = ranges  # inclusive [first, last] seq runs; fewer than dropped if capped
            return Event("gap", key, data, asyncio.get_running_loop().time())
        if self._user:
            event = self._user.popleft()
            if len(self._user) < self.policy.user_queue:
                self._user_space.set()
            return event
        if self._market:
            event = self._market.popleft()
            if event.kind == "quote":
                del self._quotes[event.key]
            elif event.kind in ("trade", "depth"):
                self._waiting[event.kind] -= 1
            return event
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
