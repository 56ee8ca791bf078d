"""SignalR records of one hub connection, decoded per direction from the WebSocket payloads the
proxy forwards: bytes in, capture fields out, no I/O.

A passive observer must not stop where a peer would: it decodes what both sides said, including
what one of them refuses. So it does not drive ``signalr_protocol.Connection`` (which closes on the
first bad record) but reuses its parts: the first record of each direction is the handshake
(``parse_handshake_request`` / ``parse_handshake_response``, split at the first 0x1E as the core
does, since MessagePack records may follow it in the same message); after it, the hub protocol the
client asked for (``protocol_named``) gives the record reader (0x1E or VarInt framing, records
split or coalesced across messages) and the codec.

Each record gives one dict: ``type``, ``bytes`` (its size on the wire, framing included) and the
fields it has. A record the codec rejects is ``unparsable`` with the codec's error, and decoding
goes on with the next one; a framing error (a bad VarInt) loses the record boundaries of that
direction for good, so everything after it is reported as ``unparsable`` per message.
Values under secret keys, JWTs and ``access_token=`` values are redacted here (``redaction``).
"""

from __future__ import annotations

from collections import abc
from typing import Any

from signalr_protocol import (
    Ack,
    BinaryRecordReader,
    CancelInvocation,
    Close,
    Completion,
    HubMessage,
    HubProtocol,
    Invocation,
    Ping,
    ProtocolError,
    Sequence,
    StreamInvocation,
    StreamItem,
    TextRecordReader,
    encode_varint,
    protocol_named,
)
from signalr_protocol.framing import RECORD_SEPARATOR
from signalr_protocol.handshake import parse_handshake_request, parse_handshake_response

from .redaction import might_hold_secret, redact, scrub

Fields = dict[str, Any]
NO_PROTOCOL = "no hub protocol: the client's handshake request named none this proxy decodes"
FRAMING_LOST = "record boundaries lost after a framing error"
MAX_RECORD_BYTES = 64 * 1024 * 1024  # a record still incomplete past this is a framing error


def _headers(fields: Fields, headers: abc.Mapping[str, str]) -> Fields:
    if headers:
        fields["headers"] = dict(headers)
    return fields


def message_fields(message: HubMessage) -> Fields:
    """The capture fields of a decoded hub message (``type`` and what it carries)."""
    match message:
        case Invocation():
            fields: Fields = {"type": "invocation", "target": message.target}
            fields["arguments"] = list(message.arguments)
            if message.invocation_id is not None:
                fields["invocation_id"] = message.invocation_id
            if message.stream_ids:
                fields["stream_ids"] = list(message.stream_ids)
            return _headers(fields, message.headers)
        case StreamItem():
            fields = {"type": "stream_item", "invocation_id": message.invocation_id, "item": message.item}
            return _headers(fields, message.headers)
        case Completion():
            fields = {"type": "completion", "invocation_id": message.invocation_id}
            if message.has_result:
                fields["result"] = message.result
            if message.error is not None:
                fields["error"] = message.error
            return _headers(fields, message.headers)
        case StreamInvocation():
            fields = {"type": "stream_invocation", "invocation_id": message.invocation_id}
            fields |= {"target": message.target, "arguments": list(message.arguments)}
            if message.stream_ids:
                fields["stream_ids"] = list(message.stream_ids)
            return _headers(fields, message.headers)
        case CancelInvocation():
            return _headers(
                {"type": "cancel_invocation", "invocation_id": message.invocation_id}, message.headers
            )
        case Ping():
            return {"type": "ping"}
        case Close():
            return {"type": "close", "error": message.error, "allow_reconnect": message.allow_reconnect}
        case Ack():
            return {"type": "ack", "sequence_id": message.sequence_id}
        case Sequence():
            return {"type": "sequence", "sequence_id": message.sequence_id}
    raise AssertionError(f"not a hub message: {message!r}")


def _with_size(size: int, fields: Fields) -> Fields:
    return {"type": fields.pop("type"), "bytes": size, **fields}


def unparsable(size: int, error: str) -> Fields:
    return {"type": "unparsable", "bytes": size, "error": scrub(error)}


class _Direction:
    """One direction's bytes: the handshake record first, then hub records."""

    __slots__ = ("_handshake", "_reader", "broken", "done_handshake", "max_record_bytes")

    def __init__(self, max_record_bytes: int) -> None:
        self._handshake = b""
        self.done_handshake = False
        self._reader: TextRecordReader | BinaryRecordReader | None = None
        self.broken = False
        self.max_record_bytes = max_record_bytes

    def split_handshake(self, data: bytes) -> tuple[bytes | None, bytes]:
        """``(handshake record or None while incomplete, bytes after it)``; ``ProtocolError``
        when no separator came within ``max_record_bytes``."""
        buffer = self._handshake + data
        end = buffer.find(RECORD_SEPARATOR)
        if end < 0:
            if len(buffer) > self.max_record_bytes:
                self._handshake, self.done_handshake, self.broken = b"", True, True
                raise ProtocolError(
                    f"{FRAMING_LOST}: no handshake record within {self.max_record_bytes} bytes"
                )
            self._handshake = buffer
            return None, b""
        self._handshake = b""
        self.done_handshake = True
        return buffer[:end], buffer[end + 1 :]

    def records(self, protocol: HubProtocol, data: bytes) -> list[bytes]:
        if self._reader is None:
            self._reader = protocol.new_reader(self.max_record_bytes)
        return self._reader.feed(data)


class RecordTap:
    """Decodes both directions of one hub connection. Feed each WebSocket message's payload, in
    the order it flows, to ``client_data`` or ``server_data``; each returns the records it
    completed, as capture fields (``type``, ``bytes``, ...)."""

    def __init__(self, max_record_bytes: int = MAX_RECORD_BYTES) -> None:
        self.protocol: HubProtocol | None = None
        self.protocol_name: str | None = None
        self._client = _Direction(max_record_bytes)
        self._server = _Direction(max_record_bytes)

    def client_data(self, data: bytes) -> list[Fields]:
        return self._feed(self._client, data, self._handshake_request)

    def server_data(self, data: bytes) -> list[Fields]:
        return self._feed(self._server, data, _handshake_response)

    def _feed(
        self, direction: _Direction, data: bytes, handshake: abc.Callable[[bytes], Fields]
    ) -> list[Fields]:
        out: list[Fields] = []
        if not direction.done_handshake:
            try:
                record, data = direction.split_handshake(data)
            except ProtocolError as exc:
                return [unparsable(len(data), str(exc))]
            if record is None:
                return out
            out.append(handshake(record))
            if not data:
                return out
        out += self._hub_records(direction, data)
        return out

    def _handshake_request(self, record: bytes) -> Fields:
        size = len(record) + 1
        try:
            request = parse_handshake_request(record)
        except ProtocolError as exc:
            return unparsable(size, str(exc))
        self.protocol_name = request.protocol
        self.protocol = protocol_named(request.protocol)
        return {
            "type": "handshake_request",
            "bytes": size,
            "protocol": request.protocol,
            "version": request.version,
        }

    def _hub_records(self, direction: _Direction, data: bytes) -> list[Fields]:
        protocol = self.protocol
        if protocol is None:
            return [unparsable(len(data), NO_PROTOCOL)]
        if direction.broken:
            return [unparsable(len(data), FRAMING_LOST)]
        try:
            records = direction.records(protocol, data)
        except ProtocolError as exc:
            direction.broken = True
            return [unparsable(len(data), f"{FRAMING_LOST}: {exc}")]
        return [_decode(protocol, record) for record in records]


def _handshake_response(record: bytes) -> Fields:
    size = len(record) + 1
    try:
        response = parse_handshake_response(record)
    except ProtocolError as exc:
        return unparsable(size, str(exc))
    return {"type": "handshake_response", "bytes": size, "error": redact(response.error)}


def _decode(protocol: HubProtocol, record: bytes) -> Fields:
    size = len(record) + (len(encode_varint(len(record))) if protocol.binary else 1)
    try:
        message = protocol.decode(record)
    except ProtocolError as exc:
        return unparsable(size, str(exc))
    if message is None:
        return unparsable(size, "unknown message type")
    fields = message_fields(message)
    if might_hold_secret(record):
        fields = redact(fields)
    return _with_size(size, fields)
