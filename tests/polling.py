"""Bounded waiting for state that has no event to wait on (server-side records, other processes)."""

from __future__ import annotations

import asyncio
from collections import abc


async def until(predicate: abc.Callable[[], object], within_s: float = 3.0, what: str = "condition") -> None:
    """Poll ``predicate`` every 5 ms; ``TimeoutError`` naming ``what`` after ``within_s``."""
    try:
        async with asyncio.timeout(within_s):
            while not predicate():  # noqa: ASYNC110 - the state polled has no event; bounded above
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise TimeoutError(f"no {what} within {within_s} s") from None
