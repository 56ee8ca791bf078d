"""``negotiate_status`` / ``upgrade_status``: negotiate (or the WebSocket upgrade) answers with an
HTTP error: 401, 404, 409, 500, 503 ... as an overloaded, restarting or misrouted server does."""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from .base import FaultError, ServerFault, Spec


class _Status(ServerFault):
    name = "_status"
    describes = "an HTTP error status"
    params_spec: ClassVar[Spec] = {"status": (int, 503), "text": (str, "")}

    def check(self) -> None:
        if not 400 <= self.params["status"] <= 599:
            raise FaultError(f"{self.name}: status must be 400-599")

    def response(self) -> web.Response:
        return web.Response(status=self.params["status"], text=self.params["text"])


class NegotiateStatus(_Status):
    name = "negotiate_status"
    describes = "negotiate answers with an HTTP error"

    async def negotiate(self, request: web.Request) -> web.StreamResponse | None:
        return self.response()


class UpgradeStatus(_Status):
    name = "upgrade_status"
    describes = "the WebSocket upgrade answers with an HTTP error"

    async def upgrade(self, request: web.Request) -> web.StreamResponse | None:
        return self.response()
