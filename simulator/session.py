"""One hub connection on the server: the asyncio adapter around ``signalr_protocol.Connection``.

Three tasks per connection, all owned here and stopped together: the reader (frames in, events
out, invocations dispatched in order), the writer (queued records out, joined into frames of whole
records, each write bounded by ``transport_send_timeout_s``) and the timer (keep-alive pings,
client timeout, handshake timeout at the core's deadlines). Stream generators and other helpers
are spawned with ``spawn`` and cancelled when the connection ends.

The server closes a connection the ASP.NET Core way: a Close message, then WebSocket close 1000
(1011 when there was an error). ``abort`` drops the TCP connection with neither.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections import abc
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from signalr_protocol import (
    Closed,
    CloseReason,
    Connection,
    Event,
    HandshakeCompleted,
    HandshakeRequested,
    HubMessage,
    Invocation,
    Role,
    State,
)

from .config import ServerConfig
from .dispatch import Dispatcher
from .faults.base import FaultSet
from .history import SendHistory
from .recording import ConnectionRecord

if TYPE_CHECKING:
    from .hub import Hub

log = logging.getLogger(__name__)

WS_NORMAL = 1000
WS_INTERNAL_ERROR = 1011


class HubSession:
    """A live connection to a hub, as hub code sees it."""

    def __init__(
        self,
        hub: Hub,
        ws: web.WebSocketResponse,
        connection_id: str,
        record: ConnectionRecord,
        config: ServerConfig,
        *,
        history: SendHistory | None = None,
        faults: FaultSet | None = None,
        transport: asyncio.Transport | None = None,
    ) -> None:
        self.hub = hub
        self.connection_id = connection_id
        self.record = record
        self.history = history
        self.faults = faults if faults is not None else FaultSet()
        self.config = config
        self.items: dict[str, Any] = {}  # per-connection hub state (ASP.NET's Context.Items)
        self._ws = ws
        # The TCP connection under the WebSocket, for aborts (the WebSocket's own get_extra_info
        # cannot give the transport itself, only what the transport knows).
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        self.conn = Connection(
            Role.SERVER,
            self._loop.time(),
            timeouts=config.timeouts,
            max_record_size=config.max_receive_message_size,
        )
        self._dispatcher = Dispatcher(hub, self)
        self._writer_wakeup = asyncio.Event()
        self._timer_rearm = asyncio.Event()
        self._finished = asyncio.Event()
        self._written = asyncio.Event()  # set after each write batch: wakes wait_writable
        self._queued_bytes = 0
        self._ws_close_code = WS_NORMAL
        self._children: set[asyncio.Task[Any]] = set()
        self._end_error: str | None = None
        self._dropped = False  # the server gave up on a client too far behind
        self._aborted = False
        self._ws_error: BaseException | None = None  # aiohttp closed the socket itself (1009: too large)
        self.linger_s = 0.0  # after the last record, hold the socket this long (a fault sets it)

    # -- what hubs use -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Open and not being torn down: sends are accepted."""
        return self.conn.state is State.OPEN and not self._finished.is_set()

    @property
    def pending_bytes(self) -> int:
        """Bytes queued for this client and not yet written: producers can pace themselves on it."""
        return self._queued_bytes

    async def wait_writable(self, below_bytes: int) -> None:
        """Wait until at most ``below_bytes`` are queued for this client, or the connection ended."""
        while self._queued_bytes > below_bytes and not self._finished.is_set():
            self._written.clear()
            await self._written.wait()

    @property
    def protocol_name(self) -> str | None:
        return self.conn.protocol.name if self.conn.protocol is not None else None

    def send(self, target: str, *arguments: Any) -> None:
        """Send a non-blocking Invocation (no reply expected) to this client."""
        self.send_message(Invocation(target, list(arguments)))

    def send_message(self, message: HubMessage) -> None:
        if not self.is_open:
            return
        for _ in range(self._copies(message)):
            record = self.conn.send(message, self._loop.time())
            self._queued(record, message)

    def send_record(self, record: bytes, message: HubMessage) -> None:
        """Send an already encoded record (see ``Hub.broadcast``)."""
        if not self.is_open:
            return
        for _ in range(self._copies(message)):
            self.conn.send_record(record, self._loop.time())
            self._queued(record, message)

    def _copies(self, message: HubMessage) -> int:
        if not self.faults:
            return 1
        wanted = [f.copies(message) for f in self.faults.reaching(self.hub.name, self.connection_id)]
        return 0 if 0 in wanted else max(wanted, default=1)  # a fault that drops it wins

    def set_keep_alive(self, interval_s: float | None) -> None:
        """Change (or stop, with None) this connection's keep-alive pings from now on."""
        self.conn.timeouts = replace(self.conn.timeouts, keep_alive_interval_s=interval_s)
        self._timer_rearm.set()

    async def write_frame(self, data: bytes) -> None:
        """Write ``data`` as one WebSocket frame now, past the protocol core: no record, no send
        history, not ordered with queued messages. For benchmarks that must not be server-bound
        and for faults that put bytes on the wire a correct server never would."""
        opcode = WSMsgType.BINARY if self.conn.binary else WSMsgType.TEXT
        await self._ws.send_frame(data, opcode)

    async def invoke_client(self, target: str, *arguments: Any, timeout_s: float = 10.0) -> Any:
        """Invoke ``target`` on the client with an invocation id and wait for its result."""
        return await self._dispatcher.invoke_client(target, arguments, timeout_s)

    def close(
        self, error: str | None = None, *, allow_reconnect: bool = False, ws_code: int | None = None
    ) -> None:
        """Server-initiated close: Close message, then WebSocket close (1000, or 1011 with error)."""
        if self.conn.state is State.CLOSED:
            return
        self._ws_close_code = ws_code if ws_code is not None else (WS_INTERNAL_ERROR if error else WS_NORMAL)
        self.conn.close(self._loop.time(), error=error, allow_reconnect=allow_reconnect)
        self._after_state_change()

    def abort(self, *, reset: bool = False) -> None:
        """Drop the TCP connection now: no Close message, no WebSocket close frame.

        With ``reset`` the socket lingers zero seconds, so the peer sees an RST instead of a FIN.
        """
        self._aborted = True
        self._abort_transport(reset)
        self._end("aborted by server")

    def _abort_transport(self, reset: bool) -> None:
        transport = self._transport if self._ws.prepared else None
        if transport is None or transport.is_closing():
            return
        sock = transport.get_extra_info("socket")
        if reset and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    def spawn(self, coro: abc.Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` for as long as this connection lives; it is cancelled when it ends."""
        task = asyncio.create_task(coro)
        self._children.add(task)
        task.add_done_callback(self._child_done)
        return task

    def pause_peer_timeout(self) -> None:
        self.conn.pause_peer_timeout()

    def resume_peer_timeout(self) -> None:
        self.conn.resume_peer_timeout(self._loop.time())
        self._timer_rearm.set()

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until it ends; always releases everything it started."""
        tasks = [
            asyncio.create_task(self._guard(self._read_loop(), "reader")),
            asyncio.create_task(self._guard(self._write_loop(), "writer")),
            asyncio.create_task(self._guard(self._timer_loop(), "timer")),
        ]
        try:
            await self._finished.wait()
        finally:
            for task in [*tasks, *self._children]:
                task.cancel()
            await asyncio.gather(*tasks, *self._children, return_exceptions=True)
            self._dispatcher.close()
            self._record_end()  # before the close handshake, which may wait on a slow peer
            if not self._ws.closed and not self._aborted and not self._dropped:
                await self._ws.close(code=self._ws_close_code)
            if self.hub.sessions.pop(self.connection_id, None) is not None:
                await self._disconnected()

    async def _disconnected(self) -> None:
        closed = self.conn.close_event
        error = closed.error if closed is not None else self._end_error
        try:
            await self.hub.on_disconnected(self, error)
        except Exception:
            log.exception("connection %s: on_disconnected failed", self.connection_id)

    def _end(self, error: str | None = None) -> None:
        if self._end_error is None:
            self._end_error = error
        self._finished.set()
        self._written.set()

    async def _guard(self, loop: abc.Coroutine[Any, Any, None], name: str) -> None:
        try:
            await loop
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("connection %s: %s task failed", self.connection_id, name)
            self._end(f"{name} failed: {exc!r}")

    def _child_done(self, task: asyncio.Task[Any]) -> None:
        self._children.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("connection %s: task failed", self.connection_id, exc_info=task.exception())

    def _record_end(self) -> None:
        closed = self.conn.close_event
        if self._aborted:
            reason, error, allow, by = "aborted", self._end_error, False, "server"
        elif self._dropped:
            reason, error, allow, by = "dropped", self._end_error, False, "server"
        elif self._ws_error is not None:
            reason, error, allow, by = "websocket_error", str(self._ws_error), False, "server"
        elif closed is None:
            reason, error, allow, by = "transport_closed", self._end_error, False, "client"
        else:
            reason, error, allow = closed.reason.value, closed.error, closed.allow_reconnect
            by = "client" if closed.reason is CloseReason.PEER_CLOSED else "server"
        ws_code = self._ws_close_code if closed is not None and not self._aborted else None
        if self._ws_error is not None:
            ws_code = self._ws.close_code  # aiohttp's own (1009 for a message too large)
        self.record.set_closed(
            time.time(),
            reason=reason,
            error=error,
            allowReconnect=allow,
            by=by,
            wsCloseCode=ws_code,
        )

    # -- the three loops ---------------------------------------------------------------------

    async def _read_loop(self) -> None:
        async for frame in self._ws:
            if frame.type is WSMsgType.ERROR:  # aiohttp refused the frame and closed (1009, 1002)
                self._ws_error = frame.data
                break
            if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            data = frame.data if isinstance(frame.data, bytes) else frame.data.encode()
            self.conn.receive_data(data, self._loop.time())
            await self._handle_events()
            if self.conn.state is State.CLOSED:
                return
        self._end(None)  # the client closed the WebSocket (or the TCP connection went away)

    async def _handle_events(self) -> None:
        # Accepting the handshake can surface records that arrived with it: drain until quiet.
        while events := self.conn.events_received():
            await self._handle(events)
        self._writer_wakeup.set()

    async def _handle(self, events: list[Event]) -> None:
        for event in events:
            match event:
                case HandshakeRequested():
                    await self._on_handshake(event)
                case HandshakeCompleted() | Closed():
                    self._after_state_change()
                case _:
                    self.record.message_in(time.time(), event)
                    await self._dispatcher.dispatch(event)

    async def _on_handshake(self, event: HandshakeRequested) -> None:
        for fault in self.faults.reaching(self.hub.name, self.connection_id):
            if (error := await fault.handshake(self)) is not None:
                self.conn.reject_handshake(error, self._loop.time())
                self.record.set_handshake(time.time(), event.request.protocol, event.request.version, error)
                self._writer_wakeup.set()
                return
        self.conn.accept_handshake(self._loop.time())
        self.record.set_handshake(time.time(), event.request.protocol, event.request.version)
        self.hub.sessions[self.connection_id] = self
        self._writer_wakeup.set()
        for fault in self.faults.reaching(self.hub.name, self.connection_id):
            await fault.connected(self)
        await self.hub.on_connected(self)

    def _after_state_change(self) -> None:
        closed = self.conn.close_event
        if closed is not None and self.record.handshake is None and self.conn.handshake is not None:
            request = self.conn.handshake
            self.record.set_handshake(time.time(), request.protocol, request.version, closed.error)
        if closed is not None and closed.error and self._ws_close_code == WS_NORMAL:
            self._ws_close_code = WS_INTERNAL_ERROR
        self._timer_rearm.set()
        self._writer_wakeup.set()

    def _queued(self, record: bytes, message: HubMessage) -> None:
        now = time.time()
        self.record.message_out(now, message, len(record))
        if self.history is not None:
            self.history.add(now, self.connection_id, self.hub, message)
        self._queued_bytes += len(record)
        if self._queued_bytes > self.config.send_buffer_limit_bytes and not self._finished.is_set():
            log.warning("connection %s: send buffer over limit, dropping the client", self.connection_id)
            self._dropped = True
            self._abort_transport(reset=False)  # a close handshake cannot finish with a peer not reading
            self._end("send buffer over limit")
        self._writer_wakeup.set()

    async def _write_loop(self) -> None:
        while True:
            await self._writer_wakeup.wait()
            self._writer_wakeup.clear()
            records = self.conn.data_to_send()
            if records:
                await self._write(records)
                self._written.set()
            if self.conn.state is State.CLOSED:
                if self.linger_s:  # a fault holds the socket open after the last record
                    await asyncio.sleep(self.linger_s)
                self._end(None)
                return

    async def _write(self, records: list[bytes]) -> None:
        now = time.time()
        protocol = self.conn.protocol
        for message in self.conn.messages_sent_by_core():  # Pings and Close: rare, re-encode for the size
            self.record.message_out(now, message, len(protocol.encode(message)) if protocol else 0)
        opcode = WSMsgType.BINARY if self.conn.binary else WSMsgType.TEXT
        # One deadline per batch, not per frame: a timeout context per frame costs more than the send.
        try:
            frames = list(self._frames(records))
            for fault in self.faults.reaching(self.hub.name, self.connection_id) if self.faults else ():
                frames = fault.frames(frames)
            async with asyncio.timeout(self.config.transport_send_timeout_s):
                for frame in frames:
                    await self._ws.send_frame(frame, opcode)
                    self._queued_bytes = max(0, self._queued_bytes - len(frame))
        except (ConnectionError, RuntimeError) as exc:
            self._end(f"write failed: {exc}")
        except TimeoutError:
            self._end("transport send timeout")

    def _frames(self, records: list[bytes]) -> abc.Iterator[bytes]:
        if not self.config.coalesce_frames:
            yield from records
            return
        limit = self.config.max_frame_bytes
        batch: list[bytes] = []
        size = 0
        for record in records:
            if batch and size + len(record) > limit:
                yield b"".join(batch)
                batch, size = [], 0
            batch.append(record)
            size += len(record)
        if batch:
            yield b"".join(batch)

    async def _timer_loop(self) -> None:
        while self.conn.state is not State.CLOSED:
            deadline = self.conn.next_deadline()
            delay = None if deadline is None else max(0.0, deadline - self._loop.time())
            try:
                async with asyncio.timeout(delay):
                    await self._timer_rearm.wait()
            except TimeoutError:
                pass
            self._timer_rearm.clear()
            self.conn.handle_timer(self._loop.time())
            await self._handle_events()
