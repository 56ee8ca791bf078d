"""``stop_pings``: the server stops its keep-alive pings (and sends nothing else unless a stream
does), as a server whose timer loop is wedged. A client without its own liveness check waits for
ever; one with a server timeout gives up after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ServerFault

if TYPE_CHECKING:
    from ..session import HubSession


class StopPings(ServerFault):
    name = "stop_pings"
    describes = "no keep-alive pings"

    async def apply(self, session: HubSession) -> None:
        session.set_keep_alive(None)

    async def connected(self, session: HubSession) -> None:
        await self.apply(session)

    async def clear(self, session: HubSession) -> None:
        session.set_keep_alive(session.config.keep_alive_interval_s)
