"""``server_abort``: the hub drops every open connection's TCP without a Close (``reset``: an RST
rather than a FIN), as a crashed server process or a killed pod does."""

from __future__ import annotations

from typing import ClassVar

from .base import Fault, FaultTarget, Spec


class ServerAbort(Fault):
    name = "server_abort"
    layer = "server"
    describes = "every open connection of the hub dropped, no Close"
    params_spec: ClassVar[Spec] = {"reset": (bool, False)}

    async def apply(self, target: FaultTarget, hub: str) -> None:
        async with target.control() as control:
            for row in await control.connections(hub, open_only=True):
                await control.abort(row["connectionId"], reset=self.params["reset"])
