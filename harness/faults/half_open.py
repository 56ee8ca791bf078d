"""``half_open``: the server's side goes silent with no FIN and no RST; the client's bytes still
arrive (``direction="downstream"``, default) or vanish too (``"both"``).

A ``timeout`` of 0 drops the data; TCP keepalives are answered by Toxiproxy's own socket, so only an
application-level check (SignalR server timeout, a heartbeat) can notice. Clearing it closes the
affected connections.
"""

from __future__ import annotations

from collections import abc
from typing import Any

from ..toxiproxy import Toxiproxy
from .base import NetworkFault


class HalfOpen(NetworkFault):
    name = "half_open"
    describes = "server->client silent, no FIN/RST"

    def __init__(self, direction: str = "downstream", **params: Any) -> None:
        if direction not in ("downstream", "both"):
            raise ValueError("half_open direction must be 'downstream' or 'both'")
        super().__init__(direction=direction, **params)
        self.streams = ("downstream",) if direction == "downstream" else ("downstream", "upstream")

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        for stream in self.streams:
            await toxiproxy.add_toxic(proxy, "timeout", stream, {"timeout": 0}, name=f"half_open_{stream}")

    def toxic_names(self, proxy: str) -> abc.Iterable[str]:
        return tuple(f"half_open_{stream}" for stream in self.streams)
