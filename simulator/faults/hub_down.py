"""``hub_down``: the hub is gone: live connections get a Close (allowReconnect: true) and new ones
503 at negotiate, until cleared, as during a deployment of that hub alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .base import ServerFault

if TYPE_CHECKING:
    from ..session import HubSession


class HubDown(ServerFault):
    name = "hub_down"
    describes = "the hub is down: closed, then 503"

    async def negotiate(self, request: web.Request) -> web.StreamResponse | None:
        return web.Response(status=503, text="Service Unavailable")

    async def upgrade(self, request: web.Request) -> web.StreamResponse | None:
        return web.Response(status=503, text="Service Unavailable")

    async def apply(self, session: HubSession) -> None:
        session.close("Server is shutting down.", allow_reconnect=True)
