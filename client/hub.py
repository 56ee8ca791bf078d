"""One hub connection, kept alive: its states, reconnects, the receive loop and liveness.

States and what moves between them (each move is reported as a ``StateChange``)::

    DISCONNECTED ─connect()─► CONNECTING ─handshake + restore ok─► CONNECTED
                                  │  ▲                                │
                     attempt failed  └── backoff ◄── RECONNECTING ◄───┘ connection lost
                                  ▼                        │
                               FAILED ◄── gave up, or Close with allowReconnect false
    any ─close()─► CLOSED

CONNECTED is reported only after the handshake succeeded, the ``on_open`` hook (the
subscriptions' restore) finished and one heartbeat was answered, so a hub that fails right after
its handshake is never reported connected (R1). Every attempt is bounded by ``connect_timeout_s``
(R8, R14). Liveness (R2, R18): SignalR keep-alive pings, the server timeout (nothing received for
``server_timeout_s``) and an application heartbeat (an invocation the hub must answer within its
timeout). Reconnects back off exponentially with full jitter and give up visibly when the policy
says so (R4); each hub has its own supervisor, so one dead hub never stops the other (R17).

An attempt's negotiate, WebSocket upgrade and handshake are ``connect.Connector``'s (tokens: R3,
R11); this module bounds the attempt and decides what its failure means.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import abc, deque
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aiohttp

from signalr_protocol import Closed, CloseReason, Completion, Invocation, SignalRError, State

from .auth import TokenProvider
from .backoff import Backoff
from .config import ClientConfig
from .connect import Connector
from .errors import ClientError, ConnectError, HubClosedError, InvocationError, OperationTimeout
from .metrics import Metrics
from .session import Session, closed_text
from .tasks import TaskSet, stop_task

log = logging.getLogger(__name__)


class HubState(Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class StateChange:
    hub: str
    old: HubState
    new: HubState
    reason: str | None
    at: float  # event-loop time


Invoker = abc.Callable[[str, list[Any], float], abc.Awaitable[Any]]
OnInvocations = abc.Callable[[str, list[Invocation], float], abc.Awaitable[None] | None]


class HubConnection:
    def __init__(
        self,
        name: str,
        config: ClientConfig,
        tokens: TokenProvider,
        http: aiohttp.ClientSession,
        metrics: Metrics,
        *,
        on_invocations: OnInvocations,
        on_state: abc.Callable[[StateChange], None],
        on_open: abc.Callable[[Invoker], abc.Awaitable[None]],
        on_lost: abc.Callable[[], None],
        rng: random.Random,
    ) -> None:
        self.name = name
        self.config = config
        self.metrics = metrics
        self._connector = Connector(name, config, tokens, http)
        self.on_invocations = on_invocations
        self.on_state = on_state
        self.on_open = on_open
        self.on_lost = on_lost
        self.state = HubState.DISCONNECTED
        self.last_error: str | None = None
        self.transitions: deque[StateChange] = deque(maxlen=64)
        self._backoff = Backoff(config.backoff, rng)
        self._tasks = TaskSet(f"hub-{name}")
        self._supervisor: asyncio.Task[None] | None = None
        self._session: Session | None = None
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()

    # -- public --------------------------------------------------------------------------------

    async def connect(self, timeout_s: float) -> None:
        """Start (or restart after FAILED) and wait until CONNECTED; raise if not, in time.

        On timeout the hub keeps trying in the background (``state`` says where it is)."""
        if self.state is HubState.CLOSED:
            raise ConnectError(self.name, "the hub was closed")
        if self._supervisor is None or self._supervisor.done():
            self._stop.clear()
            self._backoff.reset()
            self._supervisor = asyncio.create_task(self._supervise(), name=f"hub-{self.name}:supervisor")
        try:
            async with asyncio.timeout(timeout_s):
                while self.state is not HubState.CONNECTED:
                    if self.state is HubState.FAILED:
                        raise ConnectError(self.name, self.last_error or "failed")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise OperationTimeout(
                f"{self.name} hub not connected within {timeout_s} s ({self.state.value}: {self.last_error})"
            ) from None

    async def invoke(self, target: str, *arguments: Any, timeout_s: float | None = None) -> Any:
        session = self._session
        if self.state is not HubState.CONNECTED or session is None:
            raise ConnectError(self.name, f"not connected ({self.state.value})")
        return await session.invoke(target, list(arguments), timeout_s or self.config.operation_timeout_s)

    async def close(self) -> None:
        """Close the hub (a Close message, then the WebSocket close); bounded by the operation
        timeout. Idempotent."""
        self._stop.set()
        session = self._session
        if session is not None and session.conn.state is State.OPEN:
            session.conn.close(session.loop.time())
            session.end("closed by the client")
        supervisor = self._supervisor
        if supervisor is not None and not supervisor.done():
            await asyncio.wait([supervisor], timeout=self.config.operation_timeout_s)
        await stop_task(supervisor)
        await self._tasks.cancel_all()
        if session is not None and not session.ws.closed:
            await session.ws.close()
        self._set_state(HubState.CLOSED, "closed by the client")

    @property
    def task_count(self) -> int:
        return len(self._tasks) + (0 if self._supervisor is None or self._supervisor.done() else 1)

    # -- the supervisor ------------------------------------------------------------------------

    def _set_state(self, new: HubState, reason: str | None = None) -> None:
        if new is self.state:
            return
        change = StateChange(self.name, self.state, new, reason, asyncio.get_running_loop().time())
        self.state = new
        self.transitions.append(change)
        self._changed.set()
        log.info(
            "%s hub: %s -> %s%s", self.name, change.old.value, new.value, f" ({reason})" if reason else ""
        )
        self.on_state(change)

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        first = True
        while not self._stop.is_set():
            self._set_state(HubState.CONNECTING if first else HubState.RECONNECTING, self.last_error)
            first = False
            session: Session | None = None
            try:
                async with asyncio.timeout(self.config.connect_timeout_s):
                    session = await self._connector.open_session()
                    self._start(session)
                    await self.on_open(session.invoke)
                    await self._probe(session)
            except (ClientError, SignalRError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                self.last_error = _describe(exc, self.config.connect_timeout_s)
                await self._teardown(session, self.last_error)
                delay = self._backoff.next_delay(loop.time())
                if delay is None:
                    self.last_error = f"gave up after {self._backoff.attempts} attempts: {self.last_error}"
                    self._set_state(HubState.FAILED, self.last_error)
                    return
                log.warning("%s hub: attempt failed (%s); next in %.2f s", self.name, self.last_error, delay)
                await self._pause(delay)
                continue
            self._backoff.reset()
            self.last_error = None
            self._set_state(HubState.CONNECTED)
            reason, closed = await session.ended
            if self._stop.is_set():
                await self._teardown(session, reason)
                return
            # Report the loss now; closing a dead socket can take a while and must not delay it.
            self.last_error = reason
            self.metrics.count("reconnects")
            refused = (
                closed is not None and closed.reason is CloseReason.PEER_CLOSED and not closed.allow_reconnect
            )
            if refused and self.config.honor_allow_reconnect:
                self.last_error = f"server closed without allowReconnect: {reason}"
                self._set_state(HubState.FAILED, self.last_error)
                await self._teardown(session, reason)
                return
            self._set_state(HubState.RECONNECTING, reason)
            await self._teardown(session, reason)

    async def _probe(self, session: Session) -> None:
        """One heartbeat round trip before reporting CONNECTED: the hub answers, not just the socket."""
        policy = self.config.heartbeat
        if policy.method is None:
            return
        with contextlib.suppress(InvocationError):  # an error Completion is an answer
            await session.invoke(policy.method, [], policy.timeout_s)

    async def _pause(self, delay: float) -> None:
        """Sleep ``delay`` unless the hub is being closed."""
        try:
            async with asyncio.timeout(delay):
                await self._stop.wait()
        except TimeoutError:
            pass

    # -- one connection ------------------------------------------------------------------------

    def _start(self, session: Session) -> None:
        self._session = session
        self._tasks.spawn(self._read(session), "reader")
        session.writer = self._tasks.spawn(self._write(session), "writer")
        self._tasks.spawn(self._timer(session), "timer")
        if self.config.heartbeat.method is not None:
            self._tasks.spawn(self._heartbeat(session), "heartbeat")

    async def _teardown(self, session: Session | None, reason: str) -> None:
        if session is None:
            return
        session.end(reason)
        if self._session is session:
            self._session = None
            self.on_lost()
        if session.writer is not None:  # let it write what is queued (a Close) first, briefly
            await asyncio.wait([session.writer], timeout=0.2)
        await self._tasks.cancel_all()
        if not session.ws.closed:
            await session.ws.close()

    async def _read(self, session: Session) -> None:
        await self._handle(session, session.early_events)
        async for message in session.ws:
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                break
            session.conn.receive_data(message.data, session.loop.time())
            await self._handle(session, session.conn.events_received())
            if session.ended.done():
                return
        close = session.conn.close_event
        session.end(
            f"transport closed ({session.ws.close_code})" if close is None else closed_text(close), close
        )

    async def _handle(self, session: Session, events: list[Any]) -> None:
        """Act on a frame's events; consecutive invocations go to the dispatcher as one batch."""
        batch: list[Invocation] = []
        for event in events:
            if type(event) is Invocation:
                batch.append(event)
                continue
            if batch:
                await self._deliver(session, batch)
                batch = []
            if isinstance(event, Completion):
                session.complete(event)
            elif isinstance(event, Closed):
                session.end(closed_text(event), event)
        if batch:
            await self._deliver(session, batch)
        session.wake_writer.set()  # the core may have queued a Close or a Ping

    async def _deliver(self, session: Session, batch: list[Invocation]) -> None:
        pending = self.on_invocations(self.name, batch, session.loop.time())
        if pending is not None:  # a full user queue: stop reading until there is room
            session.conn.pause_peer_timeout()
            await pending
            session.conn.resume_peer_timeout(session.loop.time())

    async def _write(self, session: Session) -> None:
        while True:
            await session.wake_writer.wait()
            session.wake_writer.clear()
            records = session.conn.data_to_send()
            if records:
                frame = b"".join(records)
                if session.conn.binary:
                    await session.ws.send_bytes(frame)
                else:
                    await session.ws.send_frame(frame, aiohttp.WSMsgType.TEXT)
            if session.ended.done() and not records:
                return

    async def _timer(self, session: Session) -> None:
        loop = session.loop
        while not session.ended.done():
            deadline = session.conn.next_deadline()
            await asyncio.sleep(1.0 if deadline is None else max(0.0, deadline - loop.time()))
            session.conn.handle_timer(loop.time())
            session.wake_writer.set()
            if (closed := session.conn.close_event) is not None:
                session.end(closed_text(closed), closed)

    async def _heartbeat(self, session: Session) -> None:
        policy = self.config.heartbeat
        assert policy.method is not None
        loop = session.loop
        while not session.ended.done():
            await asyncio.sleep(policy.interval_s)
            started = loop.time()
            try:
                await session.invoke(policy.method, [], policy.timeout_s)
            except InvocationError:
                pass  # an error Completion is an answer: the hub is alive
            except OperationTimeout:
                self.metrics.count("heartbeat_failures")
                session.end(f"heartbeat not answered within {policy.timeout_s} s")
                return
            except HubClosedError:
                return
            self.metrics.sample("heartbeat_rtt_ms", (loop.time() - started) * 1000)


def _describe(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError) and not isinstance(exc, OperationTimeout):
        return f"attempt not finished within {timeout_s} s"
    return str(exc) or type(exc).__name__
