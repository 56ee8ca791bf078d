"""``refuse``: the hub is down. Every connection is closed and new ones are refused (ECONNREFUSED)
until the fault clears: the proxy is disabled, then enabled again."""

from __future__ import annotations

from .base import FaultTarget, NetworkFault


class Refuse(NetworkFault):
    name = "refuse"
    describes = "hub down: connections closed and refused"

    async def apply(self, target: FaultTarget, hub: str) -> None:
        await target.toxiproxy.set_enabled(target.proxies[hub], False)

    async def clear(self, target: FaultTarget, hub: str) -> None:
        await target.toxiproxy.set_enabled(target.proxies[hub], True)
