"""The SignalR HTTP surface of each hub: ``POST /hubs/{hub}/negotiate`` and ``GET /hubs/{hub}``.

Status codes and texts follow ASP.NET Core's ``HttpConnectionDispatcher``: negotiate is POST only
(405 otherwise) and reports version problems as 200 ``{"error": ...}``; the WebSocket request
gets 404 "No Connection with that ID" for an unknown id and 409 for an id already connected, both
before the upgrade; 401 comes from the authenticator, also before the upgrade. Only the WebSockets
transport is offered, so Server-Sent Events and Long Polling requests are refused as ASP.NET
refuses a transport that is not enabled.
"""

from __future__ import annotations

import json
from collections import abc
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from signalr_protocol import NegotiateError, NegotiateResponse, parse_negotiate_query
from signalr_protocol.negotiate import error_body

from .recording import REQUEST_LOG_KEY, REQUEST_RECORD_KEY, ConnectionRecord
from .registry import ConnectionIdInUse, UnknownConnectionId
from .session import HubSession

if TYPE_CHECKING:
    from .hub import Hub
    from .server import SimulatorServer

NO_CONNECTION = "No Connection with that ID"


class Authenticator(Protocol):
    """Decides whether a hub request may proceed: None, or the 401's ``WWW-Authenticate`` value."""

    def __call__(self, request: web.Request, hub: str) -> str | None: ...


def allow_all(request: web.Request, hub: str) -> str | None:
    return None


def compact_json(value: object) -> str:
    """JSON as ASP.NET Core writes it: no spaces."""
    return json.dumps(value, separators=(",", ":"))


def _text(status: int, text: str = "") -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


def _connection_key(request: web.Request) -> str | None:
    return request.query.get("id") or None


class HubEndpoints:
    def __init__(self, server: SimulatorServer, authenticate: Authenticator = allow_all) -> None:
        self.server = server
        self.authenticate = authenticate

    def routes(self) -> abc.Iterable[web.AbstractRouteDef]:
        # ASP.NET Core's routing ignores a trailing slash (``/hubs/market/?id=...`` connects)
        return [
            web.route("*", "/hubs/{hub}/negotiate", self.negotiate),
            web.route("*", "/hubs/{hub}/negotiate/", self.negotiate),
            web.route("*", "/hubs/{hub}", self.connect),
            web.route("*", "/hubs/{hub}/", self.connect),
        ]

    def _hub(self, request: web.Request) -> Hub:
        hub = self.server.hubs.get(request.match_info["hub"].lower())
        if hub is None:
            raise web.HTTPNotFound(text=f"no hub named {request.match_info['hub']!r}")
        return hub

    def _unauthorized(self, request: web.Request, hub: Hub) -> web.Response | None:
        refused = self.authenticate(request, hub.name)
        if refused is None:
            return None
        return web.Response(status=401, headers={"WWW-Authenticate": refused})

    async def negotiate(self, request: web.Request) -> web.StreamResponse:
        hub = self._hub(request)
        if request.method != "POST":
            return _text(405)
        for fault in self.server.faults.reaching(hub.name):
            if (answer := await fault.negotiate(request)) is not None:
                return answer
        if refused := self._unauthorized(request, hub):
            return refused
        try:
            wanted = parse_negotiate_query(
                request.query, minimum_version=self.server.config.minimum_negotiate_version
            )
        except NegotiateError as exc:
            return web.json_response(error_body(str(exc)), dumps=compact_json)
        record = request[REQUEST_RECORD_KEY]
        entry = self.server.registry.negotiate(hub.name, wanted.version, self.server.clock(), record)
        response = NegotiateResponse(
            connection_id=entry.connection_id,
            version=wanted.version,
            connection_token=entry.connection_token if wanted.version >= 1 else None,
        )
        return web.json_response(response.to_json(), dumps=compact_json)

    async def connect(self, request: web.Request) -> web.StreamResponse:
        hub = self._hub(request)
        if request.method in ("POST", "DELETE"):
            return self._not_for_websockets(request)
        if request.method != "GET":
            return _text(405)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return self._other_transport(request)
        for fault in self.server.faults.reaching(hub.name, _connection_key(request)):
            if (answer := await fault.upgrade(request)) is not None:
                return answer
        if refused := self._unauthorized(request, hub):
            return refused
        try:
            entry = self.server.registry.claim(hub.name, _connection_key(request), self.server.clock())
        except UnknownConnectionId:
            return _text(404, NO_CONNECTION)
        except ConnectionIdInUse:
            return _text(409)
        try:
            ws = self.server.new_websocket()
            await ws.prepare(request)
            request[REQUEST_LOG_KEY]["status"] = 101
            connection = ConnectionRecord(
                entry.connection_id,
                hub.name,
                entry.negotiate,
                request[REQUEST_RECORD_KEY],
                self.server.config.record_message_limit,
            )
            session = HubSession(
                hub,
                ws,
                entry.connection_id,
                connection,
                self.server.config,
                history=self.server.history,
                faults=self.server.faults,
                transport=request.transport,
            )
            await self.server.serve(session)
            return ws
        finally:
            self.server.registry.release(entry)

    def _not_for_websockets(self, request: web.Request) -> web.Response:
        key = _connection_key(request)
        if key is None:
            return _text(400, "Connection ID required")
        if not self.server.registry.known(key):
            return _text(404, NO_CONNECTION)
        if request.method == "POST":
            return _text(405, "POST requests are not allowed for WebSocket connections.")
        return _text(400, "Cannot terminate this connection using the DELETE endpoint.")

    def _other_transport(self, request: web.Request) -> web.Response:
        key = _connection_key(request)
        if key is None:
            return _text(400, "Connection ID required")
        if not self.server.registry.known(key):
            return _text(404, NO_CONNECTION)
        transport = (
            "ServerSentEvents" if "text/event-stream" in request.headers.get("Accept", "") else "LongPolling"
        )
        return _text(404, f"{transport} transport not supported by this end point type")
