"""The hub protocols this package speaks, looked up by their handshake name."""

from __future__ import annotations

from typing import Protocol

from .framing import BinaryRecordReader, TextRecordReader
from .json_protocol import JsonHubProtocol
from .messages import HubMessage
from .msgpack_protocol import MessagePackHubProtocol


class HubProtocol(Protocol):
    """What a codec offers: its name, newest version, frame kind, record reader and codec."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def binary(self) -> bool: ...

    def new_reader(self, max_record_size: int | None = None) -> TextRecordReader | BinaryRecordReader: ...

    def encode(self, message: HubMessage) -> bytes: ...

    def decode(self, record: bytes) -> HubMessage | None: ...


JSON = JsonHubProtocol()
MESSAGEPACK = MessagePackHubProtocol()
_BY_NAME: dict[str, HubProtocol] = {JSON.name: JSON, MESSAGEPACK.name: MESSAGEPACK}


def protocol_named(name: str) -> HubProtocol | None:
    """The codec for a handshake ``protocol`` value (case-insensitive, as ASP.NET Core)."""
    return _BY_NAME.get(name.lower())
