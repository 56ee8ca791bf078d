"""``bandwidth``: the server->client direction is starved to ``kbps`` kilobytes per second.

Backpressure reaches the server (Toxiproxy's bandwidth toxic has no buffer), so a stream faster
than the link piles up in the server's send buffer, as on a saturated line.
"""

from __future__ import annotations

from collections import abc
from typing import Any

from ..toxiproxy import Toxiproxy
from .base import NetworkFault


class Bandwidth(NetworkFault):
    name = "bandwidth"
    describes = "server->client limited to kbps KB/s"

    def __init__(self, kbps: int = 10, **params: Any) -> None:
        super().__init__(kbps=kbps, **params)
        self.kbps = int(kbps)

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        await toxiproxy.add_toxic(proxy, "bandwidth", "downstream", {"rate": self.kbps}, name="bandwidth")

    def toxic_names(self, proxy: str) -> abc.Iterable[str]:
        return ("bandwidth",)
