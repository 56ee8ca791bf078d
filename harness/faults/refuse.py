"""``refuse``: the hub is down. Every connection is closed and new ones are refused (ECONNREFUSED)
until the fault clears: the proxy is disabled, then enabled again."""

from __future__ import annotations

from ..toxiproxy import Toxiproxy
from .base import NetworkFault


class Refuse(NetworkFault):
    name = "refuse"
    describes = "hub down: connections closed and refused"

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        await toxiproxy.set_enabled(proxy, False)

    async def clear(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        await toxiproxy.set_enabled(proxy, True)
