"""``server_close``: the hub closes every open connection with a Close message (``error``,
``allow_reconnect``), as a restarting or rejecting ASP.NET Core server does."""

from __future__ import annotations

from typing import ClassVar

from .base import Fault, FaultTarget, Spec


class ServerClose(Fault):
    name = "server_close"
    layer = "server"
    describes = "a Close message on every open connection of the hub"
    params_spec: ClassVar[Spec] = {"error": ((str, type(None)), None), "allow_reconnect": (bool, True)}

    async def apply(self, target: FaultTarget, hub: str) -> None:
        async with target.control() as control:
            for row in await control.connections(hub, open_only=True):
                await control.close(
                    row["connectionId"],
                    error=self.params["error"],
                    allowReconnect=self.params["allow_reconnect"],
                )
