"""``cut_after``: each connection dies (FIN) after the server sent it ``bytes`` bytes; every new
connection gets the same allowance, as on a link that keeps dropping."""

from __future__ import annotations

from collections import abc
from typing import Any

from ..toxiproxy import Toxiproxy
from .base import NetworkFault


class CutAfter(NetworkFault):
    name = "cut_after"
    describes = "connection closed after N server bytes"

    def __init__(self, bytes: int = 10_000, **params: Any) -> None:
        super().__init__(bytes=bytes, **params)
        self.limit = int(bytes)

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        await toxiproxy.add_toxic(proxy, "limit_data", "downstream", {"bytes": self.limit}, name="cut_after")

    def toxic_names(self, proxy: str) -> abc.Iterable[str]:
        return ("cut_after",)
