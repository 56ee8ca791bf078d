"""The nine hub message types of the SignalR hub protocol, as plain values.

Treat them as immutable. They are not frozen dataclasses because one is built per message on the
hot path and a frozen dataclass takes three times as long to build.

Field names follow the spec (``invocation_id``, ``allow_reconnect``); the codecs translate to
camelCase (JSON) or positional arrays (MessagePack) at the wire boundary.

Normalisation, so that decode(encode(m)) == m in both protocols: empty headers are always
``EMPTY_HEADERS`` and absent stream ids are an empty tuple.
"""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import Any, ClassVar

EMPTY_HEADERS: abc.Mapping[str, str] = MappingProxyType({})


def _no_headers() -> abc.Mapping[str, str]:
    return EMPTY_HEADERS


class MessageType(IntEnum):
    INVOCATION = 1
    STREAM_ITEM = 2
    COMPLETION = 3
    STREAM_INVOCATION = 4
    CANCEL_INVOCATION = 5
    PING = 6
    CLOSE = 7
    ACK = 8
    SEQUENCE = 9


@dataclass(slots=True)
class Invocation:
    """Call ``target`` on the peer. Without ``invocation_id`` the callee must not reply."""

    target: str
    arguments: abc.Sequence[Any]
    invocation_id: str | None = None
    stream_ids: abc.Sequence[str] = ()
    headers: abc.Mapping[str, str] = field(default_factory=_no_headers)
    type: ClassVar[MessageType] = MessageType.INVOCATION


@dataclass(slots=True)
class StreamItem:
    invocation_id: str
    item: Any
    headers: abc.Mapping[str, str] = field(default_factory=_no_headers)
    type: ClassVar[MessageType] = MessageType.STREAM_ITEM


@dataclass(slots=True)
class Completion:
    """End of an invocation: an error, a result (``has_result``), or neither (void / end of stream)."""

    invocation_id: str
    result: Any = None
    error: str | None = None
    has_result: bool = False
    headers: abc.Mapping[str, str] = field(default_factory=_no_headers)
    type: ClassVar[MessageType] = MessageType.COMPLETION

    @classmethod
    def with_result(cls, invocation_id: str, result: Any) -> Completion:
        return cls(invocation_id, result=result, has_result=True)

    @classmethod
    def with_error(cls, invocation_id: str, error: str) -> Completion:
        return cls(invocation_id, error=error)

    @classmethod
    def void(cls, invocation_id: str) -> Completion:
        return cls(invocation_id)


@dataclass(slots=True)
class StreamInvocation:
    invocation_id: str
    target: str
    arguments: abc.Sequence[Any]
    stream_ids: abc.Sequence[str] = ()
    headers: abc.Mapping[str, str] = field(default_factory=_no_headers)
    type: ClassVar[MessageType] = MessageType.STREAM_INVOCATION


@dataclass(slots=True)
class CancelInvocation:
    invocation_id: str
    headers: abc.Mapping[str, str] = field(default_factory=_no_headers)
    type: ClassVar[MessageType] = MessageType.CANCEL_INVOCATION


@dataclass(slots=True)
class Ping:
    type: ClassVar[MessageType] = MessageType.PING


@dataclass(slots=True)
class Close:
    """The sender is closing. ``allow_reconnect`` tells a client whether to reconnect."""

    error: str | None = None
    allow_reconnect: bool = False
    type: ClassVar[MessageType] = MessageType.CLOSE


@dataclass(slots=True)
class Ack:
    """Stateful reconnect: the highest sequence id received."""

    sequence_id: int
    type: ClassVar[MessageType] = MessageType.ACK


@dataclass(slots=True)
class Sequence:
    """Stateful reconnect: the id of the next message the sender will (re)send."""

    sequence_id: int
    type: ClassVar[MessageType] = MessageType.SEQUENCE


HubMessage = (
    Invocation | StreamItem | Completion | StreamInvocation | CancelInvocation | Ping | Close | Ack | Sequence
)

PING = Ping()

# Error texts ASP.NET Core puts on the wire; clients and checks match on them.
CONNECTION_CLOSED_WITH_ERROR = "Connection closed with an error."
HANDSHAKE_CANCELED = "Handshake was canceled."
HANDSHAKE_UNEXPECTED = "An unexpected error occurred during connection handshake."
