"""Hubs: named server methods clients invoke, and what the hub sends back.

A hub subclasses ``Hub``, sets ``name`` (the URL segment: ``/hubs/{name}``) and marks methods
with ``@hub_method("WireName")``. A method receives the calling ``HubSession`` then the
invocation's arguments; it returns a result, raises ``HubError`` (the caller sees the message), or
is an async generator (a streaming method). Lookups are case-insensitive, like ASP.NET Core.

The ProjectX user and market hubs plug in the same way as the demo hub.
"""

from __future__ import annotations

import inspect
from collections import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from signalr_protocol import Invocation

from .tasks import Supervisor

if TYPE_CHECKING:
    from .session import HubSession


class HubError(Exception):
    """Raised by a hub method: the caller's error Completion carries this message."""


class BindingError(Exception):
    """The invocation's arguments do not fit the method (count or type)."""


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    attribute: str
    streaming: bool
    min_args: int
    max_args: int | None

    def check_arity(self, count: int) -> None:
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            expected = self.min_args if self.max_args == self.min_args else f"{self.min_args}+"
            raise BindingError(f"Invocation provides {count} argument(s) but target expects {expected}.")


_SPEC_ATTR = "__hub_method_name__"


def hub_method(name: str) -> abc.Callable[[abc.Callable[..., Any]], abc.Callable[..., Any]]:
    """Expose the decorated coroutine or async generator as hub method ``name``."""

    def mark(func: abc.Callable[..., Any]) -> abc.Callable[..., Any]:
        setattr(func, _SPEC_ATTR, name)
        return func

    return mark


def _spec_for(attribute: str, func: abc.Callable[..., Any]) -> MethodSpec:
    params = list(inspect.signature(func).parameters.values())[2:]  # self, caller
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
    return MethodSpec(
        name=getattr(func, _SPEC_ATTR),
        attribute=attribute,
        streaming=inspect.isasyncgenfunction(func),
        min_args=len(required),
        max_args=None if variadic else len(positional),
    )


class Hub:
    """Base class. One instance serves every connection to ``/hubs/{name}``."""

    name: ClassVar[str] = ""
    _specs: ClassVar[dict[str, MethodSpec]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        specs: dict[str, MethodSpec] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                if callable(value) and hasattr(value, _SPEC_ATTR):
                    spec = _spec_for(attribute, value)
                    specs[spec.name.lower()] = spec
        cls._specs = specs

    def __init__(self) -> None:
        self.sessions: dict[str, HubSession] = {}
        self.tasks = Supervisor()  # the server's own, once the hub is served: failures show in health

    def method(self, target: str) -> MethodSpec | None:
        return self._specs.get(target.lower())

    def bound(self, spec: MethodSpec) -> abc.Callable[..., Any]:
        func: abc.Callable[..., Any] = getattr(self, spec.attribute)
        return func

    def subscriptions(self, session: HubSession) -> list[list[Any]]:
        """What ``session`` subscribed to on this hub, for the control API (none by default)."""
        return []

    def stream_key(self, message: Invocation) -> str | None:
        """The stream an outgoing invocation belongs to besides its target (a contract id, an
        account id), for the send history; None when the hub has no such notion."""
        return None

    # -- lifecycle hooks, called by the session ----------------------------------------------

    async def on_connected(self, session: HubSession) -> None:
        """After the handshake succeeded; messages sent here follow the handshake response."""

    async def on_disconnected(self, session: HubSession, error: str | None) -> None:
        """After the connection ended, for whatever reason."""

    async def start(self) -> None:
        """Start background work (tickers, generators) when the server starts."""

    async def close(self) -> None:
        """Stop background work when the server shuts down."""

    # -- sending -----------------------------------------------------------------------------

    def broadcast(
        self,
        target: str,
        arguments: abc.Sequence[Any],
        sessions: abc.Iterable[HubSession] | None = None,
        headers: abc.Mapping[str, str] | None = None,
    ) -> int:
        """Send a non-blocking Invocation to ``sessions`` (default: all open); returns how many.

        The message is encoded once per hub protocol in use, not once per connection.
        """
        message = Invocation(target, list(arguments), headers=headers or {})
        encoded: dict[str, bytes] = {}
        sent = 0
        for session in list(self.sessions.values()) if sessions is None else sessions:
            protocol = session.conn.protocol
            if protocol is None or not session.is_open:
                continue
            record = encoded.get(protocol.name)
            if record is None:
                record = encoded[protocol.name] = protocol.encode(message)
            session.send_record(record, message)
            sent += 1
        return sent
