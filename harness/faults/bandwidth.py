"""``bandwidth``: the server->client direction is starved to ``kbps`` kilobytes per second.

Backpressure reaches the server (Toxiproxy's bandwidth toxic has no buffer), so a stream faster
than the link piles up in the server's send buffer, as on a saturated line.
"""

from __future__ import annotations

from collections import abc
from typing import ClassVar

from .base import FaultTarget, NetworkFault, Spec, positive


class Bandwidth(NetworkFault):
    name = "bandwidth"
    describes = "server->client limited to kbps KB/s"
    params_spec: ClassVar[Spec] = {"kbps": (int, 10)}

    def check(self) -> None:
        positive(self, "kbps", zero=True)

    @property
    def holds_data(self) -> bool:  # no buffer: at any rate it holds what it has not yet passed on
        return True

    async def apply(self, target: FaultTarget, hub: str) -> None:
        attributes = {"rate": self.params["kbps"]}
        await self.add_toxic(target, hub, "bandwidth", attributes)

    def toxic_names(self) -> abc.Iterable[str]:
        return ("bandwidth",)
