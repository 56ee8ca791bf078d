"""The recording reverse proxy: one listening socket, everything forwarded, everything recorded.

A client pointed here instead of the Gateway cannot tell the difference but for the address:
requests reach the upstream with their method, raw path, query, headers and body, and the
answers come back with their status, headers and body (``upstream`` has the header rules).
Three routes, matched on the path as ASP.NET Core would (a trailing slash allowed):

- ``POST /hubs/{hub}/negotiate``: forwarded, recorded as ``negotiate`` with a fingerprint of the
  id it hands out, so the ``open`` that presents it can be linked to it;
- ``GET /hubs/{hub}`` with ``Upgrade: websocket``: bridged to an upstream WebSocket at the same
  path and query (``bridge``), recorded as ``open``, ``record`` ..., ``close``;
- anything else (``/api/...`` and the rest): forwarded as plain HTTP, recorded as ``rest``.

It runs on aiohttp's low-level ``web.Server`` rather than a ``web.Application``: there is no
routing to do beyond the three patterns, nothing normalises paths behind the proxy's back, and the
server's ``connection_lost`` hook is where a client's TCP connection says whether it ended with
a FIN or a reset (``LossWatchingServer``; ``bridge`` explains why that is needed).

Bodies are read whole (up to ``MAX_BODY_BYTES``): REST bodies are small, and the hubs use
WebSockets only, so SSE and long polling are not proxied as streams.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
import zlib
from collections import abc
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from signalr_protocol import NegotiateError, NegotiateResponse, ProtocolError, parse_negotiate_response

from .bridge import CLOSE_TIMEOUT_S, HubBridge, Leg
from .capture_file import CaptureWriter
from .redaction import fingerprint, redact, scrub, token_sighting
from .upstream import (
    MAX_MESSAGE_BYTES,
    RESPONSE_DROPPED,
    UPGRADE_RESPONSE_DROPPED,
    Exchange,
    Upstream,
    forwarded,
)

log = logging.getLogger(__name__)

NEGOTIATE_PATH = re.compile(r"/hubs/([^/]+)/negotiate/?")
HUB_PATH = re.compile(r"/hubs/([^/]+)/?")
MAX_BODY_BYTES = 64 * 1024 * 1024
BODY_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 5.0


class LossWatchingServer(web.Server):
    """aiohttp's low-level server, telling a watcher how a client's TCP connection ended:
    the watch future's result is None after a FIN, the exception (a reset) otherwise."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._watchers: dict[Any, asyncio.Future[BaseException | None]] = {}

    def watch(self, protocol: Any) -> asyncio.Future[BaseException | None]:
        future: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._watchers[protocol] = future
        return future

    def unwatch(self, protocol: Any) -> None:
        self._watchers.pop(protocol, None)

    def connection_lost(self, handler: Any, exc: BaseException | None = None) -> None:
        future = self._watchers.pop(handler, None)
        if future is not None and not future.done():
            future.set_result(exc)
        super().connection_lost(handler, exc)


def decoded(raw: bytes, headers: abc.Mapping[str, str]) -> bytes | None:
    """A body as its JSON parser would see it: gzip/deflate undone; None for other encodings."""
    encoding = headers.get("Content-Encoding", "identity").lower()
    if encoding == "identity":
        return raw
    if encoding not in ("gzip", "deflate"):
        return None
    try:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
        return inflater.decompress(raw, MAX_BODY_BYTES)
    except zlib.error:
        return None


def body_value(raw: bytes, headers: abc.Mapping[str, str]) -> Any:
    """What a ``rest`` entry holds for a body: its JSON (redacted), null, or ``{"bytes": n}``."""
    if not raw:
        return None
    data = decoded(raw, headers)
    if data is not None:
        try:
            return redact(orjson.loads(data))
        except orjson.JSONDecodeError:
            pass
    return {"bytes": len(raw)}


def query_value(request: web.BaseRequest) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        out[key] = values[0] if len(values) == 1 else values
    return dict(redact(out))


def negotiate_outcome(exchange: Exchange) -> tuple[int | None, str | None, str | None]:
    """``(negotiate_version, id_fp, reply_error)`` from a negotiate answer: what its reply says, or
    why it cannot be used (``{"error": ...}``, not JSON, not a negotiate reply)."""
    if exchange.error is not None or exchange.status != 200:
        return None, None, None
    data = decoded(exchange.body, exchange.headers)
    try:
        reply = parse_negotiate_response(orjson.loads(data or b""))
    except orjson.JSONDecodeError:
        return None, None, "negotiate reply is not JSON"
    except (NegotiateError, ProtocolError) as exc:
        return None, None, scrub(str(exc))
    if isinstance(reply, NegotiateResponse):
        return reply.version, fingerprint(reply.id_for_connect), None
    return None, None, None  # a redirect: the client goes elsewhere


def reply(exchange: Exchange) -> web.Response:
    if exchange.error is not None:
        return web.Response(status=exchange.status, text=f"capture proxy: {exchange.error}\n")
    return web.Response(
        status=exchange.status, reason=exchange.reason, headers=exchange.headers, body=exchange.body
    )


class CaptureProxy:
    """``async with CaptureProxy(upstream, out) as proxy``: listening at ``proxy.url`` until stopped.

    ``start`` binds first and creates ``out`` only once bound (an ``OSError`` leaves no file);
    ``stop`` closes every hub connection (1001, ``by: proxy``), writes ``end`` and releases all."""

    def __init__(
        self,
        upstream: str,
        out: Path,
        *,
        silence_s: float = 5.0,
        host: str = "127.0.0.1",
        port: int = 0,
        force: bool = False,
        hubs_upstream: str | None = None,
    ) -> None:
        self.upstream_url = upstream
        # Where /hubs/* go when the Gateway serves its hubs from another host (TopstepX: the API at
        # api.topstepx.com, the hubs at rtc.topstepx.com); by default the same upstream.
        self.hubs_upstream_url = hubs_upstream or upstream
        self.out = out
        self.silence_s = silence_s
        self.host, self.port = host, port
        self.force = force
        self._upstream = Upstream(upstream)
        self._hubs = Upstream(hubs_upstream) if hubs_upstream else self._upstream
        self._server = LossWatchingServer(self._handle, access_log=None)  # its lines carry query strings
        self._runner = web.ServerRunner(self._server, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        self._writer: CaptureWriter | None = None
        self._bridges: dict[HubBridge, asyncio.Event] = {}
        self._attempts = itertools.count(1)
        self._stopped = False
        self.failed = asyncio.Event()  # the file can no longer be written: the capture is over

    @property
    def writer(self) -> CaptureWriter:
        if self._writer is None:
            raise RuntimeError("CaptureProxy.start() first")
        return self._writer

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            self.host, self.port = self._runner.addresses[0][:2]
            self._writer = CaptureWriter(
                self.out, force=self.force, clock=time.monotonic, on_error=lambda _: self.failed.set()
            )
        except BaseException:
            await self._runner.cleanup()
            raise
        await self._upstream.start()
        if self._hubs is not self._upstream:
            await self._hubs.start()
        self.writer.header(
            upstream=self.upstream_url,
            hubs_upstream=self.hubs_upstream_url,
            listen=f"{self.host}:{self.port}",
            silence_s=self.silence_s,
        )

    async def stop(self, reason: str = "signal") -> None:
        if self._stopped:
            return
        self._stopped = True
        for bridge in list(self._bridges):
            bridge.stop()
        try:
            async with asyncio.timeout(2 * CLOSE_TIMEOUT_S + 2):
                await asyncio.gather(*(done.wait() for done in list(self._bridges.values())))
        except TimeoutError:
            log.warning("%d hub connection(s) did not finish closing", len(self._bridges))
        await self._runner.cleanup()
        if self._writer is not None:
            self._writer.end(reason)
        await self._upstream.close()
        if self._hubs is not self._upstream:
            await self._hubs.close()

    async def __aenter__(self) -> CaptureProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop("signal" if exc_info[0] is None else f"error: {exc_info[1]!r}")

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if self._stopped:
            return web.Response(status=503, text="capture proxy: stopping\n")
        if (match := NEGOTIATE_PATH.fullmatch(request.path)) and request.method == "POST":
            return await self._negotiate(request, match.group(1).lower())
        match = HUB_PATH.fullmatch(request.path)
        if match and web.WebSocketResponse().can_prepare(request).ok:  # a well-formed upgrade
            return await self._open(request, match.group(1).lower())
        return await self._rest(request)  # a malformed one too: the upstream answers it

    async def _forward(self, request: web.BaseRequest) -> tuple[Exchange, bytes]:
        try:
            async with asyncio.timeout(BODY_TIMEOUT_S):
                body = await request.content.read(MAX_BODY_BYTES + 1)
                while len(body) <= MAX_BODY_BYTES and (chunk := await request.content.read(MAX_BODY_BYTES)):
                    body += chunk
        except (TimeoutError, ConnectionError) as exc:
            return Exchange(408, 0.0, error=f"the request body did not arrive: {exc!r}"), b""
        if len(body) > MAX_BODY_BYTES:
            return Exchange(413, 0.0, error=f"request body over {MAX_BODY_BYTES} bytes"), b""
        upstream = self._hubs if request.path.lower().startswith("/hubs/") else self._upstream
        return await upstream.exchange(request.method, request.raw_path, request.headers, body), body

    async def _rest(self, request: web.BaseRequest) -> web.StreamResponse:
        t = self.writer.t()
        exchange, body = await self._forward(request)
        entry: dict[str, Any] = {
            "kind": "rest",
            "t": t,
            "method": request.method,
            "path": scrub(request.path),
            "query": query_value(request),
            "status": exchange.status,
            "took_ms": exchange.took_ms,
            "request": body_value(body, request.headers),
            "response": body_value(exchange.body, exchange.headers),
            "token": token_sighting(request.headers.get("Authorization"), request.query),
        }
        if exchange.error is not None:
            entry["error"] = exchange.error
        self.writer.write(entry)
        return reply(exchange)

    async def _negotiate(self, request: web.BaseRequest, hub: str) -> web.StreamResponse:
        t = self.writer.t()
        exchange, _ = await self._forward(request)
        version, id_fp, reply_error = negotiate_outcome(exchange)
        entry: dict[str, Any] = {
            "kind": "negotiate",
            "t": t,
            "hub": hub,
            "negotiate_version": version,
            "status": exchange.status,
            "took_ms": exchange.took_ms,
            "token": token_sighting(request.headers.get("Authorization"), request.query),
            "id_fp": id_fp,
        }
        if exchange.error is not None:
            entry["error"] = exchange.error  # as in rest and open: the upstream not reached
        if reply_error is not None:
            entry["reply_error"] = reply_error
        self.writer.write(entry)
        return reply(exchange)

    async def _open(self, request: web.BaseRequest, hub: str) -> web.StreamResponse:
        conn = f"{hub}-{next(self._attempts)}"
        connection_id = request.query.get("id")
        entry: dict[str, Any] = {
            "kind": "open",
            "t": self.writer.t(),
            "conn": conn,
            "hub": hub,
            "id_fp": fingerprint(connection_id) if connection_id else None,
        }
        offered = [
            p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
        ]
        upstream_ws, probe, error = await self._hubs.upgrade(request.raw_path, request.headers, offered)
        entry |= {
            "status": probe.status,
            "token": token_sighting(request.headers.get("Authorization"), request.query),
        }
        self.writer.write(entry | {"error": error})
        if upstream_ws is None:
            log.info("%s refused: %s", conn, probe.status)
            if error is not None:
                return web.Response(status=probe.status or 502, text=f"capture proxy: {error}\n")
            headers = forwarded(probe.headers, RESPONSE_DROPPED)
            return web.Response(
                status=probe.status or 502, reason=probe.reason, headers=headers, body=probe.body
            )
        client_ws = web.WebSocketResponse(
            protocols=(upstream_ws.protocol,) if upstream_ws.protocol else (),
            timeout=CLOSE_TIMEOUT_S,
            autoclose=True,
            autoping=True,
            heartbeat=None,
            compress=False,
            max_msg_size=MAX_MESSAGE_BYTES,
            decode_text=False,
        )
        client_ws.headers.update(forwarded(probe.headers, UPGRADE_RESPONSE_DROPPED))
        lost = self._server.watch(request.protocol)
        client = Leg("client", client_ws, request.transport, lost)
        server = Leg("server", upstream_ws, probe.transport, probe.lost)
        bridge = HubBridge(
            conn, hub, client, server, writer=self.writer, silence_s=self.silence_s, clock=time.monotonic
        )
        self._bridges[bridge] = done = asyncio.Event()
        log.info("%s open", conn)
        try:
            try:
                await client_ws.prepare(request)
            except (ConnectionError, OSError) as exc:
                await bridge.abandon(f"the client went away during the upgrade: {exc!r}")
                raise
            await bridge.run()
        finally:
            self._server.unwatch(request.protocol)
            del self._bridges[bridge]
            done.set()
            if not upstream_ws.closed:
                await server.close(1001)
        return client_ws
