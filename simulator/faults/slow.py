"""``slow_negotiate`` / ``slow_upgrade`` / ``slow_handshake``: negotiate, the WebSocket upgrade's
101, or the handshake reply, comes ``delay_s`` late (for as long as any test waits, with
``MAX_DELAY_S``), as from a server stuck in garbage collection or a proxy holding the upgrade. A
client that skips negotiate (``skipNegotiation``) meets a hung connect attempt only as a slow
upgrade."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from aiohttp import web

from .base import FaultError, ServerFault, Spec

if TYPE_CHECKING:
    from ..session import HubSession


MAX_DELAY_S = 86_400.0


class _Slow(ServerFault):
    name = "_slow"
    describes = "a late answer"
    params_spec: ClassVar[Spec] = {"delay_s": ((int, float), 5.0)}

    def check(self) -> None:
        if not 0 <= self.params["delay_s"] <= MAX_DELAY_S:
            raise FaultError(f"{self.name}: delay_s must be between 0 and {MAX_DELAY_S:g} (a day: for ever)")


class SlowNegotiate(_Slow):
    name = "slow_negotiate"
    describes = "negotiate answers late"

    async def negotiate(self, request: web.Request) -> web.StreamResponse | None:
        await asyncio.sleep(self.params["delay_s"])
        return None


class SlowUpgrade(_Slow):
    name = "slow_upgrade"
    describes = "the WebSocket upgrade answers late"

    async def upgrade(self, request: web.Request) -> web.StreamResponse | None:
        await asyncio.sleep(self.params["delay_s"])
        return None


class SlowHandshake(_Slow):
    name = "slow_handshake"
    describes = "the handshake reply comes late"

    async def handshake(self, session: HubSession) -> str | None:
        await asyncio.sleep(self.params["delay_s"])
        return None
