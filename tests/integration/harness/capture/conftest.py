"""The simulated Gateway in-process, a capture proxy in front of it, and a raw hub client that can
tell how its TCP connection ended (FIN or reset) and end its own either way."""

from __future__ import annotations

import asyncio
import contextvars
import gzip
import socket
import struct
import time
from collections import abc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from harness.capture import CaptureProxy, read_capture
from harness.capture.proxy import LossWatchingServer
from signalr_protocol import (
    JSON,
    Closed,
    Connection,
    Event,
    HandshakeCompleted,
    HubProtocol,
    Invocation,
    Role,
    Timeouts,
)
from simulator import ServerConfig
from simulator.projectx import Gateway, GatewayConfig, build_gateway
from simulator.projectx.profile import StreamProfile
from tests.polling import until

API_KEY = "sim-api-key-0001"
SILENCE_S = 0.3


@pytest.fixture
async def gateway() -> abc.AsyncIterator[Gateway]:
    profile = StreamProfile(default={"quote": 20, "trade": 0, "depth": 0})
    gw = build_gateway(ServerConfig(), GatewayConfig(profile=profile))
    async with gw.server:
        yield gw


@pytest.fixture
def contract(gateway: Gateway) -> str:
    return next(iter(gateway.markets))


@pytest.fixture
async def capture(gateway: Gateway, tmp_path: Path) -> abc.AsyncIterator[CaptureProxy]:
    async with CaptureProxy(gateway.server.url, tmp_path / "capture.jsonl", silence_s=SILENCE_S) as proxy:
        yield proxy


_LOSS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("loss", default=None)


async def _keep_connection(
    session: Any, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    slot = _LOSS.get()
    connection = params.response.connection
    if slot is not None and connection is not None and connection.protocol is not None:
        slot["transport"] = connection.transport
        slot["closed"] = connection.protocol.closed


@pytest.fixture
async def http() -> abc.AsyncIterator[aiohttp.ClientSession]:
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(_keep_connection)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        yield session


def entries(proxy: CaptureProxy, kind: str | None = None) -> list[dict[str, Any]]:
    found = read_capture(proxy.out)
    return [e for e in found if kind is None or e["kind"] == kind]


async def entry(proxy: CaptureProxy, kind: str, within_s: float = 3.0, **match: Any) -> dict[str, Any]:
    """The first entry of ``kind`` with ``match``'s values, once the proxy has written it."""

    def found() -> dict[str, Any] | None:
        return next((e for e in entries(proxy, kind) if all(e.get(k) == v for k, v in match.items())), None)

    await until(lambda: found() is not None, within_s, what=f"{kind} entry {match}")
    result = found()
    assert result is not None
    return result


async def login(http: aiohttp.ClientSession, base_url: str) -> str:
    async with http.post(f"{base_url}/api/Auth/loginKey", json={"userName": "sim", "apiKey": API_KEY}) as r:
        body = await r.json()
    token: str = body["token"]
    return token


async def negotiate(
    http: aiohttp.ClientSession, base_url: str, hub: str, token: str, **query: str
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(f"{base_url}/hubs/{hub}/negotiate", params=query, headers=headers) as r:
        assert r.status == 200
        body: dict[str, Any] = await r.json()
        return body


class HubClient:
    """A hub WebSocket driven by a client-role ``signalr_protocol.Connection``."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, protocol: HubProtocol, slot: dict[str, Any]
    ) -> None:
        self.ws = ws
        self.protocol = protocol
        self.core = Connection(Role.CLIENT, time.monotonic(), timeouts=Timeouts(None, None, None))
        self.events: list[Event] = []
        self.transport: asyncio.Transport = slot["transport"]
        self.lost: asyncio.Future[None] = slot["closed"]

    async def flush(self) -> None:
        for record in self.core.data_to_send():
            await (self.ws.send_bytes(record) if self.core.binary else self.ws.send_str(record.decode()))

    async def handshake(self) -> None:
        self.core.start_handshake(self.protocol, 1, time.monotonic())
        await self.flush()
        assert isinstance(await self.next_event(), HandshakeCompleted)

    async def invoke(self, target: str, *arguments: Any, invocation_id: str | None = "1") -> None:
        self.core.send(Invocation(target, list(arguments), invocation_id), time.monotonic())
        await self.flush()

    async def next_event(self, within_s: float = 3.0) -> Event:
        async with asyncio.timeout(within_s):
            while not self.events:
                frame = await self.ws.receive()
                if frame.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    raise ConnectionError(f"socket ended: {frame.type.name}")
                data = frame.data if isinstance(frame.data, bytes) else frame.data.encode()
                self.core.receive_data(data, time.monotonic())
                self.events.extend(self.core.events_received())
            return self.events.pop(0)

    async def until_closed(self, within_s: float = 3.0) -> aiohttp.WSMessage:
        """Read until the socket ends; the last frame (CLOSE with its code, or CLOSED)."""
        async with asyncio.timeout(within_s):
            while True:
                frame = await self.ws.receive()
                if frame.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    return frame
                data = frame.data if isinstance(frame.data, bytes) else frame.data.encode()
                self.core.receive_data(data, time.monotonic())
                self.events.extend(e for e in self.core.events_received() if not isinstance(e, Closed))

    async def how_lost(self, within_s: float = 3.0) -> str:
        """``reset`` or ``eof``: how this client's TCP connection ended."""
        async with asyncio.timeout(within_s):
            try:
                await asyncio.shield(self.lost)
            except aiohttp.ClientConnectionError as exc:
                return "reset" if isinstance(exc.__cause__, ConnectionResetError) else repr(exc.__cause__)
        return "eof"

    def drop(self, *, reset: bool) -> None:
        """End the TCP connection with no close frame: an RST with ``reset``, else a FIN."""
        if reset:
            sock = self.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()
        else:
            self.transport.close()


async def open_hub(
    http: aiohttp.ClientSession,
    base_url: str,
    hub: str,
    token: str,
    *,
    protocol: HubProtocol = JSON,
    negotiate_version: int | None = 1,
    token_in: str = "header",
) -> HubClient:
    """Negotiate (unless ``negotiate_version`` is None: skipped), upgrade and handshake."""
    params: dict[str, str] = {}
    headers: dict[str, str] = {}
    if token_in == "header":
        headers["Authorization"] = f"Bearer {token}"
    else:
        params["access_token"] = token
    if negotiate_version is not None:
        version = {} if negotiate_version == 0 else {"negotiateVersion": str(negotiate_version)}
        body = await negotiate(http, base_url, hub, token, **version)
        params["id"] = body.get("connectionToken") or body["connectionId"]
    slot: dict[str, Any] = {}
    reset = _LOSS.set(slot)
    try:
        ws = await http.ws_connect(f"{base_url}/hubs/{hub}", params=params, headers=headers)
    finally:
        _LOSS.reset(reset)
    client = HubClient(ws, protocol, slot)
    await client.handshake()
    return client


def sim_session_id(gateway: Gateway, hub: str) -> str:
    [session] = [s for s in gateway.server.sessions.values() if s.hub.name == hub]
    return session.connection_id


class BareUpstream:
    """A minimal upstream for what the simulator never does: fixed odd HTTP answers, an echo of
    the request as received, and a bare hub whose sockets the test ends by hand (close frame
    without a Close record, FIN, RST) and which says how each of its sockets ended."""

    GZIP_BODY = gzip.compress(b'{"teapot":true}')

    def __init__(self) -> None:
        self.server = LossWatchingServer(self._handle)
        self.runner = web.ServerRunner(self.server)
        self.sockets: list[tuple[web.WebSocketResponse, web.BaseRequest]] = []
        self.endings: list[asyncio.Future[tuple[str, int | None]]] = []
        self.url = ""

    async def __aenter__(self) -> BareUpstream:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.runner.cleanup()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/echo":
            seen = {
                "method": request.method,
                "raw_path": request.raw_path,
                "headers": sorted((k, v) for k, v in request.headers.items() if k != "Host"),
                "body": (await request.read()).decode(),
            }
            return web.json_response(seen)
        if request.path == "/teapot":
            headers = {"Content-Encoding": "gzip", "X-Upstream": "yes", "Content-Type": "application/json"}
            return web.Response(status=418, reason="Short And Stout", headers=headers, body=self.GZIP_BODY)
        return await self._hub(request)

    async def _hub(self, request: web.BaseRequest) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        lost = self.server.watch(request.protocol)
        ended: asyncio.Future[tuple[str, int | None]] = asyncio.get_running_loop().create_future()
        self.endings.append(ended)
        await ws.prepare(request)
        self.sockets.append((ws, request))
        async for frame in ws:
            if frame.type is aiohttp.WSMsgType.TEXT and '"protocol"' in frame.data:
                await ws.send_str("{}\x1e")
        if ws.close_code not in (None, 1006):
            ended.set_result(("websocket_close", ws.close_code))
        else:
            exc = await lost
            ended.set_result(("reset" if isinstance(exc, ConnectionResetError) else "eof", None))
        return ws

    def drop(self, *, reset: bool) -> None:
        """Drop the newest hub socket's TCP connection: an RST with ``reset``, else a FIN."""
        transport = self.sockets[-1][1].transport
        assert transport is not None
        if reset:
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()


@pytest.fixture
async def bare() -> abc.AsyncIterator[BareUpstream]:
    async with BareUpstream() as upstream:
        yield upstream


@pytest.fixture
async def bare_capture(bare: BareUpstream, tmp_path: Path) -> abc.AsyncIterator[CaptureProxy]:
    async with CaptureProxy(bare.url, tmp_path / "bare.jsonl", silence_s=SILENCE_S) as proxy:
        yield proxy
