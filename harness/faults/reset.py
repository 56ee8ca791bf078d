"""``reset``: the connection is reset (RST) ``after_ms`` after the next byte the server sends.

A ``reset_peer`` toxic on the downstream; it needs data to flow server->client to fire (a market
stream or the server's keep-alive pings do). Connections opened while it stands are reset too
(a server that keeps resetting); clearing it lets them live.
"""

from __future__ import annotations

from collections import abc
from typing import ClassVar

from .base import FaultTarget, NetworkFault, Spec, positive


class Reset(NetworkFault):
    name = "reset"
    describes = "TCP RST on the next server bytes"
    params_spec: ClassVar[Spec] = {"after_ms": (int, 0)}

    def check(self) -> None:
        positive(self, "after_ms", zero=True)

    async def apply(self, target: FaultTarget, hub: str) -> None:
        attributes = {"timeout": self.params["after_ms"]}
        await self.add_toxic(target, hub, "reset_peer", attributes)

    def toxic_names(self) -> abc.Iterable[str]:
        return ("reset",)
