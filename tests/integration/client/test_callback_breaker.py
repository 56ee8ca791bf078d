"""A callback's breaker and timeout, in real time (R6)."""

from __future__ import annotations

import asyncio

from client.callbacks import CallbackRegistry, Event
from client.config import CallbackPolicy
from client.metrics import Metrics


async def test_r6_an_open_breaker_lets_one_trial_call_through_after_its_cooldown() -> None:
    metrics = Metrics()
    registry = CallbackRegistry(CallbackPolicy(breaker_failures=2, breaker_cooldown_s=0.05), metrics)
    calls: list[int] = []
    healthy = False

    def flaky(event: Event) -> None:
        calls.append(1)
        if not healthy:
            raise ValueError("down")

    registry.add("quote", flaky)
    event = Event("quote", "A", {}, 0.0)
    for _ in range(5):
        await registry.dispatch(event)
    assert len(calls) == 2  # two failures opened it
    await asyncio.sleep(0.06)
    healthy = True
    await registry.dispatch(event)  # the trial succeeds and closes it
    await registry.dispatch(event)
    assert len(calls) == 4
    assert metrics.counters["callbacks_skipped_open_breaker"] == 3


async def test_r6_a_slow_async_callback_is_cut_at_its_timeout() -> None:
    metrics = Metrics()
    registry = CallbackRegistry(CallbackPolicy(timeout_s=0.05), metrics)

    async def stuck(event: Event) -> None:
        await asyncio.sleep(10)

    registry.add("quote", stuck)
    await asyncio.wait_for(registry.dispatch(Event("quote", "A", {}, 0.0)), 1)
    assert metrics.counters["callback_timeouts"] == 1
