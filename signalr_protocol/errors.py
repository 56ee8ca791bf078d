"""Errors raised by the SignalR core.

Tree::

    SignalRError                  root: catch this to catch anything from this package
    ├── ProtocolError             the peer sent bytes that break the hub protocol (bad JSON, bad
    │   │                         varint, missing field, oversized record); the connection must close
    │   └── HandshakeError        the handshake request or response is malformed or was refused
    ├── NegotiateError            negotiate cannot proceed; ``message`` is what goes in ``{"error": ...}``
    └── UsageError                the caller misused the API (sending before the handshake, after close)

Codecs raise only ``ProtocolError`` (or its subclass) for any input bytes whatsoever; the property
tests hold them to that.
"""

from __future__ import annotations


class SignalRError(Exception):
    """Root of every error raised by ``signalr_protocol``."""


class ProtocolError(SignalRError):
    """The peer broke the SignalR hub protocol."""


class HandshakeError(ProtocolError):
    """The handshake failed: malformed, unsupported protocol or version, or an error response."""


class NegotiateError(SignalRError):
    """Negotiate failed; the message is the text the server puts in ``{"error": ...}``."""


class UsageError(SignalRError):
    """The caller used the API in a way its current state does not allow."""
