"""Statistics of fixed size (R10): counters, and rolling windows of the newest samples.

Nothing here grows with the length of a run: a counter is an int, a window keeps its newest
``size`` samples. ``LoopLagMonitor`` measures how late the event loop runs a timer, the number that
shows a flooded loop (R5).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, deque
from typing import Any

WINDOW = 256


class Window:
    """The newest ``size`` samples of one measure."""

    def __init__(self, size: int = WINDOW) -> None:
        self._samples: deque[float] = deque(maxlen=size)

    def add(self, value: float) -> None:
        self._samples.append(value)

    def summary(self) -> dict[str, float | int | None]:
        samples = sorted(self._samples)
        if not samples:
            return {"n": 0, "last": None, "p50": None, "p99": None, "max": None}
        return {
            "n": len(samples),
            "last": self._samples[-1],
            "p50": samples[len(samples) // 2],
            "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "max": samples[-1],
        }


class Metrics:
    """Counters by name (a fixed vocabulary, see ``COUNTERS``) and windows by name."""

    COUNTERS = (
        "events_received",
        "events_dispatched",
        "quotes_coalesced",
        "trades_dropped",
        "depth_dropped",
        "depth_resyncs",
        "seq_gaps",
        "duplicates_dropped",
        "user_backpressure",
        "callback_errors",
        "callback_timeouts",
        "callbacks_skipped_open_breaker",
        "reconnects",
        "heartbeat_failures",
        "invocation_errors",
    )
    WINDOWS = ("heartbeat_rtt_ms", "loop_lag_ms", "dispatch_delay_ms")

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter(dict.fromkeys(self.COUNTERS, 0))
        self.windows = {name: Window() for name in self.WINDOWS}

    def count(self, name: str, n: int = 1) -> None:
        if name not in self.counters:
            raise KeyError(f"unknown counter {name!r}")
        self.counters[name] += n

    def sample(self, name: str, value: float) -> None:
        self.windows[name].add(value)

    def snapshot(self) -> dict[str, Any]:
        return {
            "counters": dict(self.counters),
            "windows": {name: w.summary() for name, w in self.windows.items()},
        }


class LoopLagMonitor:
    """Samples how late a ``period_s`` sleep wakes up: the event loop's lag."""

    def __init__(self, metrics: Metrics, period_s: float = 0.1) -> None:
        self.metrics = metrics
        self.period_s = period_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="loop-lag")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.period_s)
            self.metrics.sample("loop_lag_ms", max(0.0, (loop.time() - before - self.period_s) * 1000))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
