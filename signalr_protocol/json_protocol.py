"""The JSON hub protocol: one JSON object per record, each record terminated by 0x1E.

Property names are case-sensitive camelCase. Unknown message types decode to ``None`` (the spec
lets old peers ignore them); unknown properties and headers are ignored. Any malformed record
raises ``ProtocolError`` with the text ASP.NET Core would use where it has one.

orjson does the JSON (several times faster than the standard library, which matters at fan-out
rates). Two consequences: NaN and Infinity encode as ``null`` (JSON has no such values), and
integers wider than 64 bits decode as floats.
"""

from __future__ import annotations

from collections import abc
from typing import Any, Final

import orjson

from .errors import ProtocolError
from .framing import RECORD_SEPARATOR, TextRecordReader
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

_PING_RECORD: Final = b'{"type":6}' + RECORD_SEPARATOR


class JsonHubProtocol:
    """Codec for the ``json`` hub protocol (versions 0-2 are wire-identical)."""

    name: Final = "json"
    version: Final = 2
    binary: Final = False

    def new_reader(self, max_record_size: int | None = None) -> TextRecordReader:
        return TextRecordReader(max_record_size)

    def encode(self, message: HubMessage) -> bytes:
        """The record for ``message``, separator included."""
        if message is PING:
            return _PING_RECORD
        return orjson.dumps(to_json_object(message)) + RECORD_SEPARATOR

    def decode(self, record: bytes) -> HubMessage | None:
        """Decode one record (without separator); ``None`` for a message type we do not know."""
        try:
            obj = orjson.loads(record)
        except orjson.JSONDecodeError as exc:
            raise ProtocolError(f"Error reading JSON: {exc}") from exc
        return from_json_object(obj)


def _with_headers(obj: dict[str, Any], headers: abc.Mapping[str, str]) -> dict[str, Any]:
    if headers:
        obj["headers"] = dict(headers)
    return obj


def to_json_object(message: HubMessage) -> dict[str, Any]:
    """The JSON object for ``message`` in the field order ASP.NET Core writes."""
    match message:
        case Invocation():
            obj: dict[str, Any] = {"type": 1}
            if message.invocation_id is not None:
                obj["invocationId"] = message.invocation_id
            obj["target"] = message.target
            obj["arguments"] = list(message.arguments)
            if message.stream_ids:
                obj["streamIds"] = list(message.stream_ids)
            return _with_headers(obj, message.headers)
        case StreamItem():
            obj = {"type": 2, "invocationId": message.invocation_id, "item": message.item}
            return _with_headers(obj, message.headers)
        case Completion():
            if message.error is not None and message.has_result:
                raise ValueError("a Completion carries a result or an error, not both")
            obj = {"type": 3, "invocationId": message.invocation_id}
            if message.error is not None:
                obj["error"] = message.error
            elif message.has_result:
                obj["result"] = message.result
            return _with_headers(obj, message.headers)
        case StreamInvocation():
            obj = {
                "type": 4,
                "invocationId": message.invocation_id,
                "target": message.target,
                "arguments": list(message.arguments),
            }
            if message.stream_ids:
                obj["streamIds"] = list(message.stream_ids)
            return _with_headers(obj, message.headers)
        case CancelInvocation():
            return _with_headers({"type": 5, "invocationId": message.invocation_id}, message.headers)
        case Close():
            obj = {"type": 7}
            if message.error is not None:
                obj["error"] = message.error
            if message.allow_reconnect:
                obj["allowReconnect"] = True
            return obj
        case Ack():
            return {"type": 8, "sequenceId": message.sequence_id}
        case Sequence():
            return {"type": 9, "sequenceId": message.sequence_id}
        case _:
            return {"type": int(message.type)}


def _required(obj: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in obj:
        raise ProtocolError(f"Missing required property '{name}'.")
    value = obj[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ProtocolError(f"Expected '{name}' to be of type {_kind_name(kind)}.")
    return value


def _optional(obj: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(name)
    if value is not None and not isinstance(value, kind):
        raise ProtocolError(f"Expected '{name}' to be of type {_kind_name(kind)}.")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "String", int: "Integer", list: "Array", dict: "Object", bool: "Boolean"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _headers(obj: dict[str, Any]) -> abc.Mapping[str, str]:
    headers = _optional(obj, "headers", dict)
    if not headers:
        return EMPTY_HEADERS
    if not all(isinstance(v, str) for v in headers.values()):
        raise ProtocolError("Expected header values to be strings.")
    return headers  # type: ignore[no-any-return]


def _stream_ids(obj: dict[str, Any]) -> tuple[str, ...]:
    ids = _optional(obj, "streamIds", list)
    if not ids:
        return ()
    if not all(isinstance(i, str) for i in ids):
        raise ProtocolError("Expected 'streamIds' to contain strings.")
    return tuple(ids)


def _plain_invocation(obj: dict[str, Any]) -> Invocation | None:
    """The common case, checked cheaply: an Invocation with well-typed fields and no stream ids.
    None sends anything else down the general path (which names what is wrong)."""
    target, arguments = obj.get("target"), obj.get("arguments")
    invocation_id, headers = obj.get("invocationId"), obj.get("headers")
    if type(target) is not str or type(arguments) is not list or "streamIds" in obj:
        return None
    if invocation_id is not None and type(invocation_id) is not str:
        return None
    if not headers:
        return (
            None
            if headers is not None and type(headers) is not dict
            else Invocation(target, arguments, invocation_id)
        )
    if type(headers) is not dict:
        return None
    for value in headers.values():
        if type(value) is not str:
            return None
    return Invocation(target, arguments, invocation_id, (), headers)


def from_json_object(obj: Any) -> HubMessage | None:
    """Build a message from a decoded JSON value; ``None`` for unknown message types."""
    if not isinstance(obj, dict):
        raise ProtocolError("Expected a JSON object.")
    if obj.get("type") == 1 and (fast := _plain_invocation(obj)) is not None:
        return fast
    kind = _required(obj, "type", int)
    if kind == MessageType.INVOCATION:
        return Invocation(
            target=_required(obj, "target", str),
            arguments=_required(obj, "arguments", list),
            invocation_id=_optional(obj, "invocationId", str),
            stream_ids=_stream_ids(obj),
            headers=_headers(obj),
        )
    if kind == MessageType.STREAM_ITEM:
        return StreamItem(_required(obj, "invocationId", str), obj.get("item"), _headers(obj))
    if kind == MessageType.COMPLETION:
        return _completion(obj)
    if kind == MessageType.STREAM_INVOCATION:
        return StreamInvocation(
            invocation_id=_required(obj, "invocationId", str),
            target=_required(obj, "target", str),
            arguments=_required(obj, "arguments", list),
            stream_ids=_stream_ids(obj),
            headers=_headers(obj),
        )
    if kind == MessageType.CANCEL_INVOCATION:
        return CancelInvocation(_required(obj, "invocationId", str), _headers(obj))
    if kind == MessageType.PING:
        return PING
    if kind == MessageType.CLOSE:
        allow = _optional(obj, "allowReconnect", bool)
        return Close(error=_optional(obj, "error", str), allow_reconnect=bool(allow))
    if kind == MessageType.ACK:
        return Ack(_required(obj, "sequenceId", int))
    if kind == MessageType.SEQUENCE:
        return Sequence(_required(obj, "sequenceId", int))
    return None


def _completion(obj: dict[str, Any]) -> Completion:
    invocation_id = _required(obj, "invocationId", str)
    error = _optional(obj, "error", str)
    has_result = "result" in obj
    if error is not None and has_result:
        raise ProtocolError("The 'error' and 'result' properties are mutually exclusive.")
    return Completion(
        invocation_id,
        result=obj.get("result"),
        error=error,
        has_result=has_result,
        headers=_headers(obj),
    )
