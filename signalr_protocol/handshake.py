"""The handshake: always one JSON record terminated by 0x1E, whatever hub protocol follows.

Request ``{"protocol":"json","version":1}``; response ``{}`` or ``{"error":"..."}``. The error
texts are ASP.NET Core's, so clients that match on them behave as they would in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import HandshakeError
from .framing import RECORD_SEPARATOR
from .messages import HANDSHAKE_UNEXPECTED
from .protocols import HubProtocol, protocol_named

SUCCESS_RESPONSE = b"{}" + RECORD_SEPARATOR


@dataclass(frozen=True, slots=True)
class HandshakeRequest:
    protocol: str
    version: int

    def encode(self) -> bytes:
        body = json.dumps({"protocol": self.protocol, "version": self.version}, separators=(",", ":"))
        return body.encode() + RECORD_SEPARATOR


@dataclass(frozen=True, slots=True)
class HandshakeResponse:
    error: str | None = None

    def encode(self) -> bytes:
        if self.error is None:
            return SUCCESS_RESPONSE
        return json.dumps({"error": self.error}, separators=(",", ":")).encode() + RECORD_SEPARATOR


def _json_object(record: bytes, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(record.decode())
    except (ValueError, RecursionError) as exc:
        raise HandshakeError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise HandshakeError(f"{what} is not a JSON object.")
    return obj


def parse_handshake_request(record: bytes) -> HandshakeRequest:
    """Parse the request record (without separator). Raises ``HandshakeError`` if malformed."""
    obj = _json_object(record, "Handshake request")
    protocol = obj.get("protocol")
    version = obj.get("version")
    if not isinstance(protocol, str):
        raise HandshakeError("Missing required property 'protocol'.")
    if not isinstance(version, int) or isinstance(version, bool):
        raise HandshakeError("Missing required property 'version'.")
    return HandshakeRequest(protocol, version)


def select_protocol(request: HandshakeRequest) -> HubProtocol:
    """The codec a server should use for ``request``, or ``HandshakeError`` with the reply text."""
    protocol = protocol_named(request.protocol)
    if protocol is None:
        raise HandshakeError(f"The protocol '{request.protocol}' is not supported.")
    if not 0 <= request.version <= protocol.version:
        raise HandshakeError(
            f"The server does not support version {request.version} of the '{request.protocol}' protocol."
        )
    return protocol


def parse_handshake_response(record: bytes) -> HandshakeResponse:
    """Parse the response record (without separator). Raises ``HandshakeError`` if malformed."""
    obj = _json_object(record, "Handshake response")
    if obj.get("type"):
        raise HandshakeError("Expected a handshake response from the server.")
    error = obj.get("error")
    if error is not None and not isinstance(error, str):
        raise HandshakeError("Expected 'error' to be a string.")
    return HandshakeResponse(error)


__all__ = [
    "HANDSHAKE_UNEXPECTED",
    "SUCCESS_RESPONSE",
    "HandshakeRequest",
    "HandshakeResponse",
    "parse_handshake_request",
    "parse_handshake_response",
    "select_protocol",
]
