"""One live hub connection: a WebSocket, its protocol core, and the invocations awaiting answers.

A ``Session`` ends exactly once, with a reason (and the ``Closed`` event when the core saw one);
ending it fails every invocation still waiting, so nothing waits on a dead connection.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from signalr_protocol import Closed, CloseReason, Completion, Connection, Invocation, State

from .errors import HubClosedError, InvocationError, OperationTimeout


class Session:
    """One live WebSocket with its protocol core; ends once, with a reason."""

    def __init__(self, hub: str, ws: aiohttp.ClientWebSocketResponse[bool], conn: Connection) -> None:
        self.hub = hub
        self.ws = ws
        self.conn = conn
        self.loop = asyncio.get_running_loop()
        self.pending: dict[str, asyncio.Future[Any]] = {}
        self.wake_writer = asyncio.Event()
        self.ended: asyncio.Future[tuple[str, Closed | None]] = self.loop.create_future()
        self.early_events: list[Any] = []
        self.writer: asyncio.Task[Any] | None = None
        self._next_id = 0

    def send(self, message: Any) -> None:
        self.conn.send(message, self.loop.time())
        self.wake_writer.set()

    async def invoke(self, target: str, arguments: list[Any], timeout_s: float) -> Any:
        if self.ended.done():
            reason, closed = self.ended.result()
            raise HubClosedError(self.hub, reason, allow_reconnect=closed.allow_reconnect if closed else True)
        if self.conn.state is not State.OPEN:
            closed = self.conn.close_event
            reason = closed_text(closed) if closed else "the connection is closing"
            raise HubClosedError(self.hub, reason, allow_reconnect=closed.allow_reconnect if closed else True)
        self._next_id += 1
        invocation_id = str(self._next_id)
        future: asyncio.Future[Any] = self.loop.create_future()
        self.pending[invocation_id] = future
        try:
            self.send(Invocation(target, arguments, invocation_id))
            async with asyncio.timeout(timeout_s):
                return await future
        except TimeoutError:
            raise OperationTimeout(f"{self.hub} hub: {target} not answered within {timeout_s} s") from None
        finally:
            self.pending.pop(invocation_id, None)
            # An error answer's traceback holds this frame, whose `future` holds the error: a
            # cycle only Python's cyclic collector frees, late (seen in the soak as heap growth).
            del future

    def complete(self, message: Completion) -> None:
        future = self.pending.get(message.invocation_id)
        if future is None or future.done():
            return
        if message.error is not None:
            future.set_exception(InvocationError(self.hub, message.error))
        else:
            future.set_result(message.result)

    def end(self, reason: str, closed: Closed | None = None) -> None:
        if self.ended.done():
            return
        self.ended.set_result((reason, closed))
        error = HubClosedError(self.hub, reason, allow_reconnect=closed.allow_reconnect if closed else True)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(error)
        self.wake_writer.set()


def closed_text(closed: Closed) -> str:
    if closed.reason is CloseReason.PEER_CLOSED:
        return f"server sent Close: {closed.error or 'no error'} (allowReconnect={closed.allow_reconnect})"
    return f"{closed.reason.value}: {closed.error}" if closed.error else closed.reason.value
