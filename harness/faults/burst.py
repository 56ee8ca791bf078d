"""``burst``: the market's streams run ``factor`` times faster for ``duration`` seconds (every
kind, every contract), as at a market open. A step's ``duration_s`` ends it too, so the scenario's
clock knows when the flood is over."""

from __future__ import annotations

from typing import ClassVar

from .base import Fault, FaultTarget, Spec, positive


class Burst(Fault):
    name = "burst"
    layer = "server"
    describes = "market rates multiplied by factor for duration seconds"
    params_spec: ClassVar[Spec] = {"factor": ((int, float), 20), "duration": ((int, float), 2)}

    def check(self) -> None:
        positive(self, "factor")
        positive(self, "duration")

    async def apply(self, target: FaultTarget, hub: str) -> None:
        async with target.control() as control:
            await control.add_burst(factor=self.params["factor"], duration=self.params["duration"])

    async def clear(self, target: FaultTarget, hub: str) -> None:
        """Ends every burst (the profile's too: the control API has no per-burst delete)."""
        async with target.control() as control:
            await control.clear_bursts()
