"""``latency``: every chunk waits ``ms`` in each direction (so the round trip grows by 2 x ms).

No jitter from Toxiproxy (its randomness cannot be seeded): a timeline makes spikes and ramps by
applying this fault with values drawn from the scenario's seed.
"""

from __future__ import annotations

from collections import abc
from typing import ClassVar

from .base import FaultTarget, NetworkFault, Spec, add_both, positive


class Latency(NetworkFault):
    name = "latency"
    describes = "each direction delayed by ms"
    params_spec: ClassVar[Spec] = {"ms": (int, 100)}

    def check(self) -> None:
        positive(self, "ms", zero=True)

    async def apply(self, target: FaultTarget, hub: str) -> None:
        await add_both(target, hub, "latency", "latency", {"latency": self.params["ms"], "jitter": 0})

    def toxic_names(self) -> abc.Iterable[str]:
        return ("latency_upstream", "latency_downstream")
