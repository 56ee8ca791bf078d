"""``/hubs/demo``: a small hub to show and test the protocol before the ProjectX hubs exist.

Methods a client can invoke:

    Echo(value)             -> value
    Add(a, b)               -> a + b (numbers)
    Fail(message)           -> error Completion "... HubException: <message>"
    Subscribe()             -> true; this connection then receives "Tick" invocations
    Unsubscribe()           -> true
    Broadcast(text)         -> number of connections sent "Message" [connectionId, text]
    Counter(count, delayMs) -> stream of 0..count-1, one item every delayMs
    Delay(ms)               -> ms, after holding the connection's dispatch for ms (a slow method)

Ticks are ``Tick`` invocations with one argument ``{"seq", "symbol", "bid", "ask", "ts"}``: a
seeded random walk on a 0.25 tick grid, ``rate_per_s`` per second to every subscriber.
"""

from __future__ import annotations

import asyncio
import random
from collections import abc
from datetime import UTC, datetime
from typing import Any

from .hub import BindingError, Hub, HubError, hub_method
from .session import HubSession
from .tasks import stop

TICK_SIZE = 0.25
SUBSCRIBED = "demo.subscribed"


MAX_DELAY_MS = 60_000
MAX_COUNT = 100_000


class DemoHub(Hub):
    name = "demo"

    def __init__(self, *, rate_per_s: float = 10.0, seed: int = 0) -> None:
        super().__init__()
        self.rate_per_s = rate_per_s
        self._random = random.Random(seed)
        self._seq = 0
        self._mid_ticks = 84_000  # 21000.00 on the tick grid
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.rate_per_s > 0:
            self._ticker = asyncio.create_task(self._tick_forever())

    async def close(self) -> None:
        await stop(self._ticker)
        self._ticker = None

    def next_tick(self) -> dict[str, Any]:
        self._seq += 1
        self._mid_ticks += self._random.choice((-1, 0, 0, 1))
        bid = self._mid_ticks * TICK_SIZE
        return {
            "seq": self._seq,
            "symbol": "DEMO",
            "bid": bid,
            "ask": bid + TICK_SIZE,
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }

    async def _tick_forever(self) -> None:
        interval = 1.0 / self.rate_per_s
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            subscribers = [s for s in self.sessions.values() if s.items.get(SUBSCRIBED)]
            if subscribers:
                try:
                    self.broadcast("Tick", [self.next_tick()], subscribers)
                except Exception as exc:  # logged and shown in health; the next tick goes on
                    self.tasks.step_failed("demo", exc)

    @hub_method("Echo")
    async def echo(self, caller: HubSession, value: Any) -> Any:
        return value

    @hub_method("Add")
    async def add(self, caller: HubSession, a: Any, b: Any) -> Any:
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b)):
            raise BindingError("Add takes two numbers")
        return a + b

    @hub_method("Fail")
    async def fail(self, caller: HubSession, message: str) -> None:
        raise HubError(message)

    @hub_method("Subscribe")
    async def subscribe(self, caller: HubSession) -> bool:
        caller.items[SUBSCRIBED] = True
        return True

    @hub_method("Unsubscribe")
    async def unsubscribe(self, caller: HubSession) -> bool:
        caller.items.pop(SUBSCRIBED, None)
        return True

    @hub_method("Broadcast")
    async def broadcast_text(self, caller: HubSession, text: str) -> int:
        return self.broadcast("Message", [caller.connection_id, text])

    @hub_method("Delay")
    async def delay(self, caller: HubSession, ms: int) -> int:
        if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= MAX_DELAY_MS:
            raise BindingError(f"Delay takes an integer from 0 to {MAX_DELAY_MS}")
        await asyncio.sleep(ms / 1000)
        return ms

    @hub_method("Counter")
    async def counter(self, caller: HubSession, count: int, delay_ms: int) -> abc.AsyncIterator[int]:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (count, delay_ms)):
            raise BindingError("Counter takes two integers")
        if not 0 <= count <= MAX_COUNT or not 0 <= delay_ms <= MAX_DELAY_MS:
            raise BindingError(f"Counter takes a count up to {MAX_COUNT} and a delay up to {MAX_DELAY_MS} ms")
        for i in range(count):
            yield i
            await asyncio.sleep(delay_ms / 1000)
