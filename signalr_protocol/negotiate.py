"""Negotiate (``POST {hub}/negotiate``): request parsing, version selection, and the response shapes.

Version rules (ASP.NET Core ``HttpConnectionDispatcher``): no ``negotiateVersion`` means 0; a
non-integer is an error; a version below the server's minimum is an error; above 1 is clamped to 1.
Errors are HTTP 200 with ``{"error": ...}``. Version 0 replies carry only ``connectionId`` (which
is also the ``?id=``); version 1 adds the secret ``connectionToken`` used as ``?id=``.
"""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass, field
from typing import Any

from .errors import NegotiateError, ProtocolError

SERVER_PROTOCOL_VERSION = 1


@dataclass(frozen=True, slots=True)
class Transport:
    name: str
    transfer_formats: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"transport": self.name, "transferFormats": list(self.transfer_formats)}


WEBSOCKETS = Transport("WebSockets", ("Text", "Binary"))


@dataclass(frozen=True, slots=True)
class NegotiateRequest:
    version: int
    stateful_reconnect: bool


def _lookup(query: abc.Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in query.items():
        if key.lower() == lowered:
            return value
    return None


def parse_negotiate_query(query: abc.Mapping[str, str], *, minimum_version: int = 0) -> NegotiateRequest:
    """Read ``negotiateVersion`` and ``useStatefulReconnect`` (case-insensitive keys) from the query.

    Raises ``NegotiateError`` with ASP.NET Core's text when the version is not acceptable.
    """
    raw = _lookup(query, "negotiateVersion")
    if raw is None:
        if minimum_version > 0:
            raise NegotiateError(
                "The client requested version '0', but the server does not support this version."
            )
        requested = 0
    else:
        try:
            requested = int(raw)
        except ValueError:
            raise NegotiateError("The client requested a non-integer protocol version.") from None
        if requested < minimum_version:
            raise NegotiateError(
                f"The client requested version '{requested}', but the server does not support this version."
            )
    stateful = (_lookup(query, "useStatefulReconnect") or "").lower() == "true"
    return NegotiateRequest(min(requested, SERVER_PROTOCOL_VERSION), stateful)


@dataclass(frozen=True, slots=True)
class NegotiateResponse:
    """A successful negotiate reply. ``connection_token`` is present from version 1 on."""

    connection_id: str
    version: int
    connection_token: str | None = None
    transports: tuple[Transport, ...] = field(default=(WEBSOCKETS,))
    stateful_reconnect: bool = False

    @property
    def id_for_connect(self) -> str:
        """What the client puts in ``?id=``: the token from version 1 on, the connection id before."""
        if self.version >= 1 and self.connection_token is not None:
            return self.connection_token
        return self.connection_id

    def to_json(self) -> dict[str, Any]:
        """The body, in the property order ASP.NET Core writes it."""
        body: dict[str, Any] = {}
        if self.stateful_reconnect:
            body["useStatefulReconnect"] = True
        body["negotiateVersion"] = self.version
        body["connectionId"] = self.connection_id
        if self.version > 0 and self.connection_token is not None:
            body["connectionToken"] = self.connection_token
        body["availableTransports"] = [t.to_json() for t in self.transports]
        return body


@dataclass(frozen=True, slots=True)
class NegotiateRedirect:
    """``{"url": ..., "accessToken": ...}``: connect to ``url`` instead (Azure SignalR style)."""

    url: str
    access_token: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"url": self.url}
        if self.access_token is not None:
            body["accessToken"] = self.access_token
        return body


def error_body(message: str) -> dict[str, str]:
    return {"error": message}


def parse_negotiate_response(body: Any) -> NegotiateResponse | NegotiateRedirect:
    """Validate a negotiate reply as the .NET client does.

    Raises ``NegotiateError`` for an ``{"error": ...}`` body and ``ProtocolError`` for a malformed one.
    """
    if not isinstance(body, dict):
        raise ProtocolError("Negotiate response is not a JSON object.")
    if "error" in body:
        raise NegotiateError(str(body["error"]))
    if "ProtocolVersion" in body:
        raise ProtocolError("Detected a connection attempt to an ASP.NET SignalR Server.")
    if isinstance(body.get("url"), str):
        token = body.get("accessToken")
        return NegotiateRedirect(body["url"], token if isinstance(token, str) else None)
    connection_id = body.get("connectionId")
    if not isinstance(connection_id, str) or not connection_id:
        raise ProtocolError("Invalid negotiation response received: missing connectionId.")
    version = body.get("negotiateVersion", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ProtocolError("Invalid negotiation response received: bad negotiateVersion.")
    token = body.get("connectionToken")
    if version > 0 and not isinstance(token, str):
        raise ProtocolError("Invalid negotiation response received: missing connectionToken.")
    return NegotiateResponse(
        connection_id=connection_id,
        version=version,
        connection_token=token if version > 0 else None,
        transports=_parse_transports(body.get("availableTransports")),
        stateful_reconnect=body.get("useStatefulReconnect") is True,
    )


def _parse_transports(raw: Any) -> tuple[Transport, ...]:
    if not isinstance(raw, list):
        raise ProtocolError("Invalid negotiation response received: missing availableTransports.")
    transports = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise ProtocolError("Invalid negotiation response received: bad transport entry.")
        name, formats = entry.get("transport"), entry.get("transferFormats")
        if not isinstance(name, str) or not isinstance(formats, list):
            raise ProtocolError("Invalid negotiation response received: bad transport entry.")
        transports.append(Transport(name, tuple(str(f) for f in formats)))
    return tuple(transports)
