"""The proxy's one client of the upstream (the Gateway, or the simulator standing in for it).

One ``ClientSession`` for everything, so routes, timeouts and header rules live in one place:

- requests go to the upstream base URL plus the client's raw path and query, unchanged (no
  re-quoting); the client's headers go along except the hop-by-hop ones (RFC 9110 7.6.1, plus
  those the ``Connection`` header names), ``Host`` (set from the upstream URL, as a reverse proxy
  must for a virtual-hosted server) and ``Content-Length`` (recomputed);
- aiohttp adds no header of its own (``skip_auto_headers``: no ``User-Agent``, ``Accept``,
  ``Accept-Encoding`` or ``Content-Type`` the client did not send) and decompresses nothing
  (``auto_decompress=False``): a gzip body reaches the client as the upstream sent it;
- redirects are not followed: the client sees them;
- a request gets ``REQUEST_TIMEOUT_S`` in all and an upgrade ``UPGRADE_TIMEOUT_S``; the upstream
  not answering in time is a 504 for the client, not reachable a 502.

``ws_connect`` hides what the proxy needs at an upgrade: a refusal's body (it raises with the
status and headers only) and, on a 101, the transport and the way its TCP connection will end.
A ``TraceConfig`` hook (``on_request_end``, public API) sees the response first; it finds the
``UpgradeProbe`` of the upgrade in progress through a context variable (the hook runs in the task
that called ``ws_connect``), reads a refusal's body there, and keeps the 101's transport and its
protocol's ``closed`` future (``bridge`` explains how that tells a reset from an eof).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import abc
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from .redaction import scrub

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
REQUEST_DROPPED = HOP_BY_HOP | {"host", "content-length"}
UPGRADE_DROPPED = REQUEST_DROPPED | {
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
}
RESPONSE_DROPPED = HOP_BY_HOP | {"content-length"}
UPGRADE_RESPONSE_DROPPED = RESPONSE_DROPPED | {
    "sec-websocket-accept",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
}
AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
REQUEST_TIMEOUT_S = 120.0
CONNECT_TIMEOUT_S = 10.0
UPGRADE_TIMEOUT_S = 30.0
REFUSAL_BODY_TIMEOUT_S = 10.0
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a WebSocket message larger than this is refused (1009)
WS_CLOSE_TIMEOUT_S = 5.0


def forwarded(headers: abc.Mapping[str, str], dropped: frozenset[str]) -> CIMultiDict[str]:
    """``headers`` without ``dropped`` and without any header the ``Connection`` header names."""
    named = {h.strip().lower() for h in headers.get("Connection", "").split(",") if h.strip()}
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        if name.lower() not in dropped and name.lower() not in named:
            out.add(name, value)
    return out


def failure(exc: BaseException) -> tuple[int, str]:
    """The status a client gets for an upstream that failed so, and the reason (no secrets)."""
    if isinstance(exc, TimeoutError):
        return 504, "the upstream did not answer in time"
    return 502, scrub(str(exc) or type(exc).__name__)


@dataclass(slots=True)
class Exchange:
    """One forwarded request: the upstream's answer, or the failure the client got instead."""

    status: int
    took_ms: float
    reason: str | None = None
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)
    body: bytes = b""
    error: str | None = None


@dataclass(slots=True)
class UpgradeProbe:
    """What ``on_request_end`` saw of an upgrade's response."""

    status: int | None = None
    reason: str | None = None
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)
    body: bytes = b""
    transport: asyncio.Transport | None = None
    lost: asyncio.Future[None] | None = None


_PROBE: contextvars.ContextVar[UpgradeProbe | None] = contextvars.ContextVar("capture_probe", default=None)


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()  # mark it retrieved: a reset nobody asked about is not an error


async def _on_request_end(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    probe = _PROBE.get()
    if probe is None:
        return
    response = params.response
    probe.status, probe.reason = response.status, response.reason
    probe.headers = CIMultiDict(response.headers)
    if response.status != 101:
        try:
            async with asyncio.timeout(REFUSAL_BODY_TIMEOUT_S):
                probe.body = await response.read()
        except (TimeoutError, aiohttp.ClientError):
            probe.body = b""
        return
    connection = response.connection
    protocol = connection.protocol if connection is not None else None
    if connection is not None and protocol is not None:
        probe.transport = connection.transport
        probe.lost = protocol.closed
        if probe.lost is not None:
            probe.lost.add_done_callback(_retrieve)


class Upstream:
    """The upstream at ``base_url`` (http or https; ``ws``/``wss`` follow from it)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(_on_request_end)
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),  # one connection per hub socket: no cap
            skip_auto_headers=AUTO_HEADERS,
            auto_decompress=False,
            trace_configs=[trace],
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S, sock_connect=CONNECT_TIMEOUT_S),
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("Upstream.start() first")
        return self._http

    def url(self, raw_path: str) -> URL:
        return URL(self.base_url + raw_path, encoded=True)

    async def exchange(
        self, method: str, raw_path: str, headers: abc.Mapping[str, str], body: bytes
    ) -> Exchange:
        """Forward one request; the answer with its body read, or the failure."""
        started = time.perf_counter()
        try:
            async with self.http.request(
                method,
                self.url(raw_path),
                headers=forwarded(headers, REQUEST_DROPPED),
                data=body or None,
                allow_redirects=False,
            ) as response:
                payload = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            status, reason = failure(exc)
            return Exchange(status, _ms(started), error=reason)
        return Exchange(
            response.status,
            _ms(started),
            response.reason,
            forwarded(response.headers, RESPONSE_DROPPED),
            payload,
        )

    async def upgrade(
        self, raw_path: str, headers: abc.Mapping[str, str], protocols: abc.Sequence[str]
    ) -> tuple[aiohttp.ClientWebSocketResponse[Any] | None, UpgradeProbe, str | None]:
        """Open the upstream WebSocket: ``(ws, probe, None)`` on a 101, ``(None, probe, None)`` on
        a refusal (the probe holds its status, headers and body), ``(None, probe, reason)`` when
        the upstream could not be reached (the probe's status is then the 502/504 to answer)."""
        probe = UpgradeProbe()
        token = _PROBE.set(probe)
        try:
            async with asyncio.timeout(UPGRADE_TIMEOUT_S):
                ws = await self.http.ws_connect(
                    self.url(raw_path),
                    headers=forwarded(headers, UPGRADE_DROPPED),
                    protocols=tuple(protocols),
                    autoclose=True,
                    autoping=True,
                    heartbeat=None,
                    compress=0,
                    max_msg_size=MAX_MESSAGE_BYTES,
                    decode_text=False,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=WS_CLOSE_TIMEOUT_S),
                )
        except aiohttp.WSServerHandshakeError as exc:
            if probe.status is not None and probe.status != 101:
                return None, probe, None
            probe.status = 502
            return None, probe, scrub(f"invalid upgrade response: {exc.message}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            probe.status, reason = failure(exc)
            return None, probe, reason
        finally:
            _PROBE.reset(token)
        return ws, probe, None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
