"""``reset``: the connection is reset (RST) ``after_ms`` after the next byte the server sends.

A ``reset_peer`` toxic on the downstream; it needs data to flow server->client to fire (a market
stream or the server's keep-alive pings do). Connections opened while it stands are reset too
(a server that keeps resetting); clearing it lets them live.
"""

from __future__ import annotations

from collections import abc
from typing import Any

from ..toxiproxy import Toxiproxy
from .base import NetworkFault


class Reset(NetworkFault):
    name = "reset"
    describes = "TCP RST on the next server bytes"

    def __init__(self, after_ms: int = 0, **params: Any) -> None:
        super().__init__(after_ms=after_ms, **params)
        self.after_ms = int(after_ms)

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        await toxiproxy.add_toxic(proxy, "reset_peer", "downstream", {"timeout": self.after_ms}, name="reset")

    def toxic_names(self, proxy: str) -> abc.Iterable[str]:
        return ("reset",)
