"""``half_open``: the server's side goes silent with no FIN and no RST; the client's bytes still
arrive (``direction="downstream"``, default) or vanish too (``"both"``).

A ``timeout`` of 0 drops the data; TCP keepalives are answered by Toxiproxy's own socket, so only an
application-level check (SignalR server timeout, a heartbeat) can notice. Clearing it closes the
affected connections.
"""

from __future__ import annotations

from collections import abc
from typing import ClassVar

from .base import FaultError, FaultTarget, NetworkFault, Spec


class HalfOpen(NetworkFault):
    name = "half_open"
    describes = "server->client silent, no FIN/RST"
    params_spec: ClassVar[Spec] = {"direction": (str, "downstream")}

    def check(self) -> None:
        if self.params["direction"] not in ("downstream", "both"):
            raise FaultError("half_open: direction must be 'downstream' or 'both'")

    @property
    def streams(self) -> tuple[str, ...]:
        return ("downstream",) if self.params["direction"] == "downstream" else ("downstream", "upstream")

    async def apply(self, target: FaultTarget, hub: str) -> None:
        for stream in self.streams:
            attributes = {"timeout": 0}
            await target.toxiproxy.add_toxic(
                target.proxies[hub], "timeout", stream, attributes, name=f"half_open_{stream}"
            )

    def toxic_names(self) -> abc.Iterable[str]:
        return tuple(f"half_open_{stream}" for stream in self.streams)
