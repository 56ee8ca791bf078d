"""``cut_after``: each connection dies (FIN) after the server sent it ``bytes`` bytes; every new
connection gets the same allowance, as on a link that keeps dropping."""

from __future__ import annotations

from collections import abc
from typing import ClassVar

from .base import FaultTarget, NetworkFault, Spec, positive


class CutAfter(NetworkFault):
    name = "cut_after"
    describes = "connection closed after N server bytes"
    params_spec: ClassVar[Spec] = {"bytes": (int, 10_000)}

    def check(self) -> None:
        positive(self, "bytes", zero=True)

    async def apply(self, target: FaultTarget, hub: str) -> None:
        attributes = {"bytes": self.params["bytes"]}
        await self.add_toxic(target, hub, "limit_data", attributes)

    def toxic_names(self) -> abc.Iterable[str]:
        return ("cut_after",)
