"""``partition``: nothing gets through in either direction, and nobody is told.

``heal="hold"`` (default): a ``bandwidth`` rate of 0 on both streams holds every byte; sockets stay
open and the data is delivered when the partition heals, as after a routing flap.
``heal="drop"``: a ``timeout`` of 0 on both streams drops every byte; clearing it closes the
connections (the stream is corrupt), as when a middlebox lost the flows' state.
Toxiproxy still accepts new TCP connections meanwhile (it is L4): a reconnecting client connects,
then hears nothing.
"""

from __future__ import annotations

from collections import abc
from typing import Any

from ..toxiproxy import Toxiproxy
from .base import NetworkFault, add_both


class Partition(NetworkFault):
    name = "partition"
    describes = "both directions silent; connections stay open"

    def __init__(self, heal: str = "hold", **params: Any) -> None:
        if heal not in ("hold", "drop"):
            raise ValueError("partition heal must be 'hold' (data delivered after) or 'drop'")
        super().__init__(heal=heal, **params)
        self.heal = heal

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        if self.heal == "hold":
            await add_both(toxiproxy, proxy, "bandwidth", "partition", {"rate": 0})
        else:
            await add_both(toxiproxy, proxy, "timeout", "partition", {"timeout": 0})

    def toxic_names(self, proxy: str) -> abc.Iterable[str]:
        return ("partition_upstream", "partition_downstream")
