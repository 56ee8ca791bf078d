"""``slicer``: server->client bytes arrive in pieces of ``size`` bytes, ``delay_us`` apart, so
WebSocket frames and SignalR records are split across reads. Nothing is lost."""

from __future__ import annotations

from collections import abc
from typing import Any

from ..toxiproxy import Toxiproxy
from .base import NetworkFault


class Slicer(NetworkFault):
    name = "slicer"
    describes = "server->client bytes split into small pieces"

    def __init__(self, size: int = 7, delay_us: int = 10, **params: Any) -> None:
        super().__init__(size=size, delay_us=delay_us, **params)
        self.size, self.delay_us = int(size), int(delay_us)

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        attributes = {"average_size": self.size, "size_variation": 0, "delay": self.delay_us}
        await toxiproxy.add_toxic(proxy, "slicer", "downstream", attributes, name="slicer")

    def toxic_names(self, proxy: str) -> abc.Iterable[str]:
        return ("slicer",)
