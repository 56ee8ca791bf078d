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
from typing import ClassVar

from .base import FaultError, FaultTarget, NetworkFault, Spec, add_both


class Partition(NetworkFault):
    name = "partition"
    describes = "both directions silent; connections stay open"
    params_spec: ClassVar[Spec] = {"heal": (str, "hold")}

    def check(self) -> None:
        if self.params["heal"] not in ("hold", "drop"):
            raise FaultError("partition: heal must be 'hold' (data delivered after) or 'drop'")

    @property
    def holds_data(self) -> bool:
        return bool(self.params["heal"] == "hold")

    async def apply(self, target: FaultTarget, hub: str) -> None:
        if self.params["heal"] == "hold":
            await add_both(target, hub, "bandwidth", "partition", {"rate": 0})
        else:
            await add_both(target, hub, "timeout", "partition", {"timeout": 0})

    def toxic_names(self) -> abc.Iterable[str]:
        return ("partition_upstream", "partition_downstream")
