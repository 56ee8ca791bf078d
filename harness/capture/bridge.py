"""One hub WebSocket through the proxy: the upgrade, two pumps, one ending, recorded.

The upstream upgrade comes first (``ClientSession.ws_connect`` to the same path and query); only
on its 101 is the client's upgrade accepted, so a refusal (401, 404, 409 ...) reaches the client
with the upstream's status, headers and body. Then two pumps copy every text and binary message
unchanged (``decode_text=False``: bytes in, the same bytes and opcode out), decoding each one's
records on the way (``records.RecordTap``) and writing them after the forward, so the file costs
the path as little as it can. WebSocket pings are answered by aiohttp on each leg, as it does;
permessage-deflate is not negotiated on either leg (the messages are the same, not the frames).

The first leg to end decides the ``close`` entry and is mirrored on the other leg:

- a close frame (``CLOSE``) with code X: ``how: websocket_close``, the other leg closed with X;
- the TCP connection ending without a close frame: ``eof`` or ``reset``, the other leg dropped
  the same way (``transport.close()`` sends a FIN; ``SO_LINGER`` 0 then ``abort()`` sends an RST);
- aiohttp refusing a frame (``ERROR``: too large, bad opcode) or the capture stopping: ``by:
  proxy``, the other leg (or both) closed with aiohttp's code (or 1001, going away).

A SignalR Close record seen before the end overrides this: ``by`` is its sender, ``how:
close_message``, with its ``error`` and ``allow_reconnect``, and ``code`` the code of the first
close frame after it (null when the TCP connection ended without one).

Reset or eof: aiohttp reports both as a ``CLOSED`` message with code 1006 (and has reported clean
losses as 1000 in some versions, aio-libs/aiohttp#8138), so the close code cannot tell them apart.
The transport can: asyncio calls ``connection_lost(None)`` after a FIN and
``connection_lost(exc)`` after an error (``ECONNRESET``). Upstream, the connection's protocol
exposes that as its ``closed`` future (reached through the response a ``TraceConfig`` hands over,
``upstream.UpgradeProbe``); downstream, the proxy's ``web.Server`` passes it to a watcher
(``proxy.LossWatchingServer``). Both are resolved before aiohttp wakes the reader, so the pump
that sees ``CLOSED`` reads the cause at once (a transport that gave no error within
``LOSS_WAIT_S`` counts as an eof). Close codes a peer may report but never send (1005 no status,
1006 abnormal, 1015 TLS) are mirrored as 1000; the entry keeps the code as it was reported.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections import abc
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import ClientWebSocketResponse, WSMsgType, web

from .capture_file import CaptureWriter
from .records import Fields, RecordTap

log = logging.getLogger(__name__)

WS_GOING_AWAY = 1001
CLOSE_TIMEOUT_S = 5.0  # a close handshake or a pump's wind-down, before the transport is aborted
LOSS_WAIT_S = 1.0
_UNSENDABLE_CODES = frozenset({None, 0, 1005, 1006, 1015})  # reported by aiohttp, never sent


@dataclass(frozen=True, slots=True)
class Ending:
    """How one leg stopped. ``decisive`` False: it stopped because the other one did."""

    by: str  # client | server | proxy
    how: str  # websocket_close | eof | reset | lost (classified later) | closing
    at: float
    code: int | None = None
    reason: str = ""
    error: str | None = None

    @property
    def decisive(self) -> bool:
        return self.how != "closing"


class Leg:
    """One side's WebSocket and the TCP transport under it."""

    def __init__(
        self,
        name: str,
        ws: web.WebSocketResponse | ClientWebSocketResponse,
        transport: asyncio.Transport | None,
        lost: asyncio.Future[Any] | None,
    ) -> None:
        self.name = name
        self.ws = ws
        self.transport = transport
        self.lost = lost

    async def close(self, code: int | None, reason: str = "") -> None:
        sendable = 1000 if code in _UNSENDABLE_CODES else code
        assert sendable is not None
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self.ws.close(code=sendable, message=reason.encode())
        except (TimeoutError, ConnectionError):
            self.drop(reset=False)

    def drop(self, *, reset: bool) -> None:
        """End the TCP connection without a close frame: a FIN, or an RST with ``reset``."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        sock = transport.get_extra_info("socket")
        if reset and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()

    async def how_lost(self) -> str:
        """``reset`` when the transport ended with an error, ``eof`` when cleanly (``module doc``)."""
        if self.lost is None:
            return "eof"
        try:
            async with asyncio.timeout(LOSS_WAIT_S):
                outcome = await asyncio.shield(self.lost)
        except TimeoutError:
            return "eof"
        except (aiohttp.ClientError, OSError):  # upstream: the protocol's closed future holds the error
            return "reset"
        return "reset" if isinstance(outcome, BaseException) else "eof"


class HubBridge:
    """Pumps one opened hub connection until it ends; writes its records, silences and close."""

    def __init__(
        self,
        conn: str,
        hub: str,
        client: Leg,
        server: Leg,
        *,
        writer: CaptureWriter,
        silence_s: float,
        clock: abc.Callable[[], float],
    ) -> None:
        self.conn, self.hub = conn, hub
        self.client, self.server = client, server
        self.writer = writer
        self.silence_s = silence_s
        self.clock = clock
        self.tap = RecordTap()
        self._stop = asyncio.Event()
        self._close_record: tuple[str, Fields] | None = None
        self._last_server = clock()

    def stop(self) -> None:
        """Close both legs (1001) and end: the capture is stopping."""
        self._stop.set()

    async def abandon(self, error: str) -> None:
        """The client went away before its upgrade was answered: end with no records."""
        how = await self.client.how_lost()
        self._write_end(Ending("client", how, self.clock(), error=error))

    async def run(self) -> None:
        pumps = [
            asyncio.create_task(self._pump(self.client, self.server, "client")),
            asyncio.create_task(self._pump(self.server, self.client, "server")),
        ]
        stopping = asyncio.create_task(self._stop.wait())
        try:
            ending = await self._first_ending(pumps, stopping)
            await self._mirror(ending)
            _, slow = await asyncio.wait(pumps, timeout=CLOSE_TIMEOUT_S + 1)
            if slow:
                self.client.drop(reset=False)
                self.server.drop(reset=False)
            self._write_end(ending)
        finally:
            for task in [*pumps, stopping]:
                task.cancel()
            await asyncio.gather(*pumps, stopping, return_exceptions=True)

    async def _first_ending(self, pumps: list[asyncio.Task[Ending]], stopping: asyncio.Task[Any]) -> Ending:
        pending: set[asyncio.Task[Any]] = {*pumps, stopping}
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                return Ending("proxy", "websocket_close", self.clock(), WS_GOING_AWAY, "capture stopping")
            endings = sorted((t.result() for t in done), key=lambda e: e.at)
            for ending in endings:
                if ending.decisive:
                    return await self._classified(ending)
            if not pending - {stopping}:
                break
        return Ending("proxy", "eof", self.clock(), error="both legs stopped without a cause")

    async def _classified(self, ending: Ending) -> Ending:
        if ending.how != "lost":
            return ending
        leg = self.client if ending.by == "client" else self.server
        how = await leg.how_lost()
        return Ending(ending.by, how, ending.at)

    async def _mirror(self, ending: Ending) -> None:
        if ending.by == "proxy":
            legs = [self.client, self.server]
        else:
            legs = [self.server if ending.by == "client" else self.client]
        for leg in legs:
            if ending.how in ("eof", "reset"):
                leg.drop(reset=ending.how == "reset")
            else:
                await leg.close(ending.code, ending.reason)

    async def _pump(self, source: Leg, target: Leg, side: str) -> Ending:
        try:
            return await self._copy(source, target, side)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("%s: the %s pump failed", self.conn, side)
            return Ending("proxy", "reset", self.clock(), error=f"proxy failure: {exc!r}")

    async def _copy(self, source: Leg, target: Leg, side: str) -> Ending:
        decode = self.tap.client_data if side == "client" else self.tap.server_data
        forwarding = True
        while True:
            message = await source.ws.receive()
            kind = message.type
            if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
                now = self.clock()
                data: bytes = message.data
                fields = decode(data)
                entries = self._silence_ended(now, "record") if side == "server" else []
                if forwarding:
                    try:
                        await target.ws.send_frame(data, kind)
                    except ConnectionError:
                        forwarding = False  # the other leg is gone: its pump reports why
                entries += self._records(now, side, fields)
                self.writer.write_all(entries)
            elif kind is WSMsgType.CLOSE:
                return Ending(side, "websocket_close", self.clock(), message.data, message.extra or "")
            elif kind is WSMsgType.ERROR:
                code = source.ws.close_code
                return Ending("proxy", "websocket_close", self.clock(), code, error=f"{side}: {message.data}")
            elif kind is WSMsgType.CLOSING:
                return Ending(side, "closing", self.clock())
            elif kind is WSMsgType.CLOSED:
                return Ending(side, "lost", self.clock())

    def _records(self, now: float, side: str, fields: list[Fields]) -> list[dict[str, Any]]:
        t = self.writer.t(now)
        entries = []
        for record in fields:
            if record["type"] == "close" and self._close_record is None:
                self._close_record = (side, record)
            entries.append(
                {"kind": "record", "t": t, "conn": self.conn, "hub": self.hub, "from": side, **record}
            )
        return entries

    def _silence_ended(self, now: float, ended: str) -> list[dict[str, Any]]:
        began, self._last_server = self._last_server, now
        lasted = now - began
        if lasted <= self.silence_s:
            return []
        entry = {"kind": "silence", "t": self.writer.t(began), "conn": self.conn, "hub": self.hub}
        return [entry | {"from": "server", "lasted_s": round(lasted, 6), "ended": ended}]

    def _write_end(self, ending: Ending) -> None:
        ended = "capture_end" if ending.by == "proxy" and self._stop.is_set() else "close"
        entries = self._silence_ended(ending.at, ended)
        close: dict[str, Any] = {
            "kind": "close",
            "t": self.writer.t(ending.at),
            "conn": self.conn,
            "hub": self.hub,
        }
        if self._close_record is not None:
            side, record = self._close_record
            code = ending.code if ending.how == "websocket_close" and ending.by != "proxy" else None
            close |= {"by": side, "how": "close_message", "code": code}
            close |= {"error": record["error"], "allow_reconnect": record["allow_reconnect"]}
        else:
            close |= {"by": ending.by, "how": ending.how, "code": ending.code}
            close |= {"error": ending.error, "allow_reconnect": None}
        self.writer.write_all([*entries, close])
        log.info("%s closed: by %s, %s", self.conn, close["by"], close["how"])
