"""The MessagePack hub protocol: each record is a VarInt length followed by one MessagePack array.

Array layouts (HubProtocol.md, "MessagePack Encoding"):

    [1, Headers, InvocationId|nil, Target, [Arguments], [StreamIds]]   (StreamIds optional on input)
    [2, Headers, InvocationId, Item]
    [3, Headers, InvocationId, ResultKind, Result?]   ResultKind 1=error 2=void 3=value
    [4, Headers, InvocationId, Target, [Arguments], [StreamIds]?]
    [5, Headers, InvocationId]
    [6]
    [7, Error|nil, AllowReconnect?]
    [8, SequenceId]
    [9, SequenceId]

Unknown message types decode to ``None``; extra trailing array elements are ignored (the spec
lets newer peers append fields).
"""

from __future__ import annotations

import threading
from collections import abc
from typing import Any, Final

import msgpack

from .errors import ProtocolError
from .framing import BinaryRecordReader, encode_varint
from .messages import (
    EMPTY_HEADERS,
    PING,
    Ack,
    CancelInvocation,
    Close,
    Completion,
    HubMessage,
    Invocation,
    MessageType,
    Sequence,
    StreamInvocation,
    StreamItem,
)

_PING_RECORD: Final = b"\x02\x91\x06"
_ERROR, _VOID, _VALUE = 1, 2, 3
# Everything msgpack.unpackb raises for hostile input (ExtraData, FormatError and StackError are
# ValueError subclasses; unhashable map keys give TypeError).
_UNPACK_ERRORS = (ValueError, TypeError, OverflowError, RecursionError, msgpack.UnpackException)
_local = threading.local()  # one reused Packer per thread: packb builds one per call (~1.5x slower)


def _pack(value: Any) -> bytes:
    packer = getattr(_local, "packer", None)
    if packer is None:
        packer = _local.packer = msgpack.Packer(use_bin_type=True)
    packed: bytes = packer.pack(value)
    return packed


class MessagePackHubProtocol:
    """Codec for the ``messagepack`` hub protocol."""

    name: Final = "messagepack"
    version: Final = 2
    binary: Final = True

    def new_reader(self, max_record_size: int | None = None) -> BinaryRecordReader:
        return BinaryRecordReader(max_record_size)

    def encode(self, message: HubMessage) -> bytes:
        """The record for ``message``, length prefix included."""
        if message is PING:
            return _PING_RECORD
        payload = _pack(to_array(message))
        return encode_varint(len(payload)) + payload

    def decode(self, record: bytes) -> HubMessage | None:
        """Decode one record (without prefix); ``None`` for a message type we do not know."""
        try:
            array = msgpack.unpackb(record, raw=False, strict_map_key=True, use_list=True)
        except _UNPACK_ERRORS as exc:
            raise ProtocolError(f"Error reading MessagePack: {exc}") from exc
        return from_array(array)


def to_array(message: HubMessage) -> list[Any]:
    """The MessagePack array for ``message``."""
    match message:
        case Invocation():
            # Always six elements: signalrcore (0.9.5 and 1.0.x) indexes StreamIds unconditionally.
            return [
                1,
                dict(message.headers),
                message.invocation_id,
                message.target,
                list(message.arguments),
                list(message.stream_ids),
            ]
        case StreamItem():
            return [2, dict(message.headers), message.invocation_id, message.item]
        case Completion():
            head = [3, dict(message.headers), message.invocation_id]
            if message.error is not None:
                if message.has_result:
                    raise ValueError("a Completion carries a result or an error, not both")
                return [*head, _ERROR, message.error]
            if message.has_result:
                return [*head, _VALUE, message.result]
            return [*head, _VOID]
        case StreamInvocation():
            return [
                4,
                dict(message.headers),
                message.invocation_id,
                message.target,
                list(message.arguments),
                list(message.stream_ids),
            ]
        case CancelInvocation():
            return [5, dict(message.headers), message.invocation_id]
        case Close():
            return [7, message.error, message.allow_reconnect]
        case Ack():
            return [8, message.sequence_id]
        case Sequence():
            return [9, message.sequence_id]
        case _:
            return [int(message.type)]


def _field(array: list[Any], index: int, name: str, kind: type | tuple[type, ...]) -> Any:
    if index >= len(array):
        raise ProtocolError(f"Reading '{name}' as array item {index} failed: the array is too short.")
    value = array[index]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ProtocolError(f"Reading '{name}' failed: unexpected {type(value).__name__}.")
    return value


def _headers(array: list[Any]) -> abc.Mapping[str, str]:
    headers = _field(array, 1, "headers", dict)
    if not headers:
        return EMPTY_HEADERS
    if not all(isinstance(v, str) for v in headers.values()):
        raise ProtocolError("Reading 'headers' failed: values must be strings.")
    return headers  # type: ignore[no-any-return]


def _stream_ids(array: list[Any], index: int) -> tuple[str, ...]:
    if len(array) <= index:
        return ()
    ids = _field(array, index, "streamIds", list)
    if not all(isinstance(i, str) for i in ids):
        raise ProtocolError("Reading 'streamIds' failed: ids must be strings.")
    return tuple(ids)


def from_array(array: Any) -> HubMessage | None:
    """Build a message from a decoded MessagePack value; ``None`` for unknown message types."""
    if not isinstance(array, list) or not array:
        raise ProtocolError("Expected a non-empty MessagePack array.")
    kind = _field(array, 0, "type", int)
    if kind == MessageType.INVOCATION:
        return Invocation(
            headers=_headers(array),
            invocation_id=_field(array, 2, "invocationId", (str, type(None))),
            target=_field(array, 3, "target", str),
            arguments=_field(array, 4, "arguments", list),
            stream_ids=_stream_ids(array, 5),
        )
    if kind == MessageType.STREAM_ITEM:
        _field(array, 3, "item", object)
        return StreamItem(_field(array, 2, "invocationId", str), array[3], _headers(array))
    if kind == MessageType.COMPLETION:
        return _completion(array)
    if kind == MessageType.STREAM_INVOCATION:
        return StreamInvocation(
            headers=_headers(array),
            invocation_id=_field(array, 2, "invocationId", str),
            target=_field(array, 3, "target", str),
            arguments=_field(array, 4, "arguments", list),
            stream_ids=_stream_ids(array, 5),
        )
    if kind == MessageType.CANCEL_INVOCATION:
        return CancelInvocation(_field(array, 2, "invocationId", str), _headers(array))
    if kind == MessageType.PING:
        return PING
    if kind == MessageType.CLOSE:
        error = _field(array, 1, "error", (str, type(None)))
        allow = _field(array, 2, "allowReconnect", bool) if len(array) > 2 else False
        return Close(error=error, allow_reconnect=allow)
    if kind == MessageType.ACK:
        return Ack(_field(array, 1, "sequenceId", int))
    if kind == MessageType.SEQUENCE:
        return Sequence(_field(array, 1, "sequenceId", int))
    return None


def _completion(array: list[Any]) -> Completion:
    headers = _headers(array)
    invocation_id = _field(array, 2, "invocationId", str)
    result_kind = _field(array, 3, "resultKind", int)
    if result_kind == _ERROR:
        return Completion(invocation_id, error=_field(array, 4, "error", str), headers=headers)
    if result_kind == _VOID:
        return Completion(invocation_id, headers=headers)
    if result_kind == _VALUE:
        _field(array, 4, "result", object)
        return Completion(invocation_id, result=array[4], has_result=True, headers=headers)
    raise ProtocolError(f"Invalid invocation result kind: {result_kind}.")
