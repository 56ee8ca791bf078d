"""``latency``: every chunk waits ``ms`` in each direction (so the round trip grows by 2 x ms).

No jitter from Toxiproxy (its randomness cannot be seeded): a timeline makes spikes and ramps by
applying this fault with values drawn from the scenario's seed.
"""

from __future__ import annotations

from collections import abc
from typing import Any

from ..toxiproxy import Toxiproxy
from .base import NetworkFault, add_both


class Latency(NetworkFault):
    name = "latency"
    describes = "each direction delayed by ms"

    def __init__(self, ms: int = 100, **params: Any) -> None:
        super().__init__(ms=ms, **params)
        self.ms = int(ms)

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        await add_both(toxiproxy, proxy, "latency", "latency", {"latency": self.ms, "jitter": 0})

    def toxic_names(self, proxy: str) -> abc.Iterable[str]:
        return ("latency_upstream", "latency_downstream")
