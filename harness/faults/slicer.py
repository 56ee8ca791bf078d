"""``slicer``: server->client bytes arrive in pieces of ``size`` bytes, ``delay_us`` apart, so
WebSocket frames and SignalR records are split across reads. Nothing is lost."""

from __future__ import annotations

from collections import abc
from typing import ClassVar

from .base import FaultTarget, NetworkFault, Spec, positive


class Slicer(NetworkFault):
    name = "slicer"
    describes = "server->client bytes split into small pieces"
    params_spec: ClassVar[Spec] = {"size": (int, 7), "delay_us": (int, 10)}

    def check(self) -> None:
        positive(self, "size")
        positive(self, "delay_us", zero=True)

    async def apply(self, target: FaultTarget, hub: str) -> None:
        attributes = {
            "average_size": self.params["size"],
            "size_variation": 0,
            "delay": self.params["delay_us"],
        }
        await self.add_toxic(target, hub, "slicer", attributes)

    def toxic_names(self) -> abc.Iterable[str]:
        return ("slicer",)
