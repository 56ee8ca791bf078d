"""Invocation dispatch for one connection, following ASP.NET Core's ``DefaultHubDispatcher``.

- Invocations run one at a time, in order; the client timeout is paused while one runs.
- An Invocation with an id always gets exactly one Completion; without an id, never.
- Unknown methods, wrong argument counts, streaming/non-streaming mix-ups and hub exceptions are
  answered with ASP.NET Core's error texts (``HubError`` messages are shown, like HubException;
  other exceptions are logged and hidden, as without ``EnableDetailedErrors``).
- Streams send StreamItems then one Completion; a CancelInvocation ends the stream with an empty
  Completion. Server-to-client invocations with an id (client results) wait for the client's
  Completion.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import abc
from typing import TYPE_CHECKING, Any

from signalr_protocol import (
    CancelInvocation,
    Completion,
    HubMessage,
    Invocation,
    StreamInvocation,
    StreamItem,
)

from .hub import BindingError, Hub, HubError, MethodSpec

if TYPE_CHECKING:
    from .session import HubSession

log = logging.getLogger(__name__)


def unknown_method(target: str) -> str:
    return f"Unknown hub method '{target}'"


def failed_to_invoke(target: str) -> str:
    return f"Failed to invoke '{target}' due to an error on the server."


def unexpected_error(target: str, hub_error: str | None = None) -> str:
    text = f"An unexpected error occurred invoking '{target}' on the server."
    return f"{text} HubException: {hub_error}" if hub_error is not None else text


def wrong_mode(target: str, method_kind: str, invocation_kind: str) -> str:
    return (
        f"The client attempted to invoke the {method_kind} '{target}' method "
        f"with a {invocation_kind} invocation."
    )


def stream_error(hub_error: str | None = None) -> str:
    text = "An error occurred on the server while streaming results."
    return f"{text} HubException: {hub_error}" if hub_error is not None else text


class ClientResultError(Exception):
    """The client answered a server-to-client invocation with an error Completion."""


class Dispatcher:
    def __init__(self, hub: Hub, session: HubSession) -> None:
        self.hub = hub
        self.session = session
        self._streams: dict[str, asyncio.Task[None]] = {}
        self._cancelled_by_client: set[str] = set()
        self._client_results: dict[str, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)

    async def dispatch(self, message: HubMessage) -> None:
        match message:
            case Invocation():
                await self._invoke(message)
            case StreamInvocation():
                self._start_stream(message)
            case CancelInvocation():
                self._cancel_stream(message.invocation_id)
            case Completion():
                self._client_result(message)
            case StreamItem():
                log.debug("ignoring StreamItem for upload stream %s", message.invocation_id)
            case _:
                pass  # Ping, Close, Ack, Sequence: the connection state machine handled them

    def close(self) -> None:
        """The connection ended: fail whoever waits for a client result."""
        for future in self._client_results.values():
            if not future.done():
                future.set_exception(ConnectionError("connection closed before the client answered"))
        self._client_results.clear()

    # -- invocations -------------------------------------------------------------------------

    def _reply(self, invocation_id: str | None, completion: Completion) -> None:
        if invocation_id is None or not self.session.is_open:
            return
        try:
            self.session.send_message(completion)
        except (TypeError, ValueError, OverflowError) as exc:  # a result the protocol cannot carry
            log.info("result of invocation %s cannot be encoded: %s", invocation_id, exc)
            self.session.send_message(
                Completion.with_error(invocation_id, f"Failed to serialize the result: {type(exc).__name__}.")
            )

    def _error(self, invocation_id: str | None, text: str) -> None:
        if invocation_id is not None:
            self._reply(invocation_id, Completion.with_error(invocation_id, text))

    def _resolve(self, target: str, invocation_id: str | None, *, streaming: bool) -> MethodSpec | None:
        spec = self.hub.method(target)
        if spec is None:
            self._error(invocation_id, unknown_method(target))
            return None
        if spec.streaming and not streaming:
            self._error(invocation_id, wrong_mode(target, "streaming", "non-streaming"))
            return None
        if streaming and not spec.streaming:
            self._error(invocation_id, wrong_mode(target, "non-streaming", "streaming"))
            return None
        return spec

    def _bind(self, spec: MethodSpec, message: Invocation | StreamInvocation) -> bool:
        if message.stream_ids:
            detail = f"Client sent {len(message.stream_ids)} stream(s), Hub method expects 0."
            self._error(message.invocation_id, unexpected_error(message.target, detail))
            return False
        try:
            spec.check_arity(len(message.arguments))
        except BindingError as exc:
            log.info("binding failure for %s: %s", message.target, exc)
            self._error(message.invocation_id, failed_to_invoke(message.target))
            return False
        return True

    async def _invoke(self, message: Invocation) -> None:
        for fault in self.session.faults.reaching(self.hub.name, self.session.connection_id):
            if (error := fault.invocation_error(message.target)) is not None:
                self._error(message.invocation_id, error)
                return
        spec = self._resolve(message.target, message.invocation_id, streaming=False)
        if spec is None or not self._bind(spec, message):
            return
        self.session.pause_peer_timeout()
        try:
            result = await self.hub.bound(spec)(self.session, *message.arguments)
        except HubError as exc:
            self._error(message.invocation_id, unexpected_error(message.target, str(exc)))
            return
        except BindingError:
            self._error(message.invocation_id, failed_to_invoke(message.target))
            return
        except Exception:
            log.exception("hub method %s failed", message.target)
            self._error(message.invocation_id, unexpected_error(message.target))
            return
        finally:
            self.session.resume_peer_timeout()
        if message.invocation_id is not None:
            self._reply(message.invocation_id, Completion.with_result(message.invocation_id, result))

    # -- streams -----------------------------------------------------------------------------

    def _start_stream(self, message: StreamInvocation) -> None:
        spec = self._resolve(message.target, message.invocation_id, streaming=True)
        if spec is None or not self._bind(spec, message):
            return
        if message.invocation_id in self._streams:
            self._error(message.invocation_id, f"Invocation ID '{message.invocation_id}' is already in use.")
            return
        stream = self.hub.bound(spec)(self.session, *message.arguments)
        task = self.session.spawn(self._run_stream(message.invocation_id, stream))
        self._streams[message.invocation_id] = task

    async def _run_stream(self, invocation_id: str, stream: abc.AsyncIterator[Any]) -> None:
        error: str | None = None
        try:
            async for item in stream:
                if not self.session.is_open:
                    return
                self.session.send_message(StreamItem(invocation_id, item))
        except asyncio.CancelledError:
            if invocation_id not in self._cancelled_by_client:
                raise
            # The client cancelled: ASP.NET ends the stream with an empty Completion, not an error.
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        except HubError as exc:
            error = stream_error(str(exc))
        except Exception:
            log.exception("stream %s failed", invocation_id)
            error = stream_error()
        finally:
            self._streams.pop(invocation_id, None)
            self._cancelled_by_client.discard(invocation_id)
        self._reply(invocation_id, Completion(invocation_id, error=error))

    def _cancel_stream(self, invocation_id: str) -> None:
        task = self._streams.get(invocation_id)
        if task is None:
            log.debug("CancelInvocation for unknown id %s", invocation_id)
            return
        self._cancelled_by_client.add(invocation_id)
        task.cancel()

    # -- server-to-client invocations with results ---------------------------------------------

    async def invoke_client(self, target: str, arguments: abc.Sequence[Any], timeout_s: float) -> Any:
        invocation_id = f"s{next(self._ids)}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._client_results[invocation_id] = future
        try:
            self.session.send_message(Invocation(target, list(arguments), invocation_id))
            async with asyncio.timeout(timeout_s):
                return await future
        finally:
            self._client_results.pop(invocation_id, None)

    def _client_result(self, message: Completion) -> None:
        future = self._client_results.get(message.invocation_id)
        if future is None or future.done():
            log.debug("Completion for unknown id %s", message.invocation_id)
            return
        if message.error is not None:
            future.set_exception(ClientResultError(message.error))
        else:
            future.set_result(message.result)
