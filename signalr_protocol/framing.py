"""Incremental record framing: bytes in (any split), complete records out.

The text format ends each record with 0x1E; the binary format prefixes each record with a VarInt
length (7 bits per byte, least significant group first, high bit = more bytes, at most 5 bytes).
A WebSocket message may hold many records, and a record may span WebSocket messages: both
readers buffer until a record is whole.

``max_record_size`` bounds memory: a record (complete or still arriving) larger than it raises
``ProtocolError`` as soon as that is known, without buffering the rest.
"""

from __future__ import annotations

from .errors import ProtocolError

RECORD_SEPARATOR = b"\x1e"
MAX_VARINT_BYTES = 5
MAX_BINARY_LENGTH = 2**31 - 1


class TextRecordReader:
    """Splits a byte stream on 0x1E."""

    __slots__ = ("_buffer", "max_record_size")

    def __init__(self, max_record_size: int | None = None) -> None:
        self._buffer = b""
        self.max_record_size = max_record_size

    @property
    def buffered(self) -> int:
        """Bytes held for a record that is not complete yet."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data`` and return every record now complete, without separators."""
        if self._buffer:
            data = self._buffer + data
        parts = data.split(RECORD_SEPARATOR)
        self._buffer = parts.pop()
        limit = self.max_record_size
        if limit is not None:
            if len(self._buffer) > limit:
                raise ProtocolError(f"record exceeds {limit} bytes")
            for part in parts:
                if len(part) > limit:
                    raise ProtocolError(f"record exceeds {limit} bytes")
        return parts


def encode_varint(length: int) -> bytes:
    """The VarInt length prefix of the binary format."""
    if length < 0 or length > MAX_BINARY_LENGTH:
        raise ValueError(f"length out of range: {length}")
    if length < 0x80:
        return bytes((length,))
    out = bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        if length:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes, offset: int) -> tuple[int, int] | None:
    """Read a VarInt at ``offset``: ``(value, offset after it)``, or None if more bytes are needed."""
    value = 0
    shift = 0
    for index in range(offset, min(offset + MAX_VARINT_BYTES, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if value > MAX_BINARY_LENGTH:
                raise ProtocolError("Messages over 2GB in size are not supported.")
            return value, index + 1
        shift += 7
    if len(data) - offset >= MAX_VARINT_BYTES:
        raise ProtocolError("Messages over 2GB in size are not supported.")
    return None


class BinaryRecordReader:
    """Splits a byte stream of VarInt-length-prefixed records."""

    __slots__ = ("_buffer", "max_record_size")

    def __init__(self, max_record_size: int | None = None) -> None:
        self._buffer = b""
        self.max_record_size = max_record_size

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data`` and return every record now complete, without length prefixes."""
        if self._buffer:
            data = self._buffer + data
        records: list[bytes] = []
        offset = 0
        end = len(data)
        limit = self.max_record_size
        while offset < end:
            header = decode_varint(data, offset)
            if header is None:
                break
            length, start = header
            if limit is not None and length > limit:
                raise ProtocolError(f"record exceeds {limit} bytes")
            stop = start + length
            if stop > end:
                break
            records.append(data[start:stop])
            offset = stop
        self._buffer = data[offset:]
        return records
