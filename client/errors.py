"""Errors raised by the reference client.

Tree::

    ClientError                  root: catch this to catch anything the client raises
    ├── ConnectError             a hub could not be connected (negotiate, upgrade or handshake
    │   │                        failed, or the reconnect policy gave up); ``hub`` names it
    │   └── AuthError            the Gateway refused the credentials or the token (401)
    ├── HubClosedError           the server closed the hub: a Close message (``error``,
    │                            ``allow_reconnect``) or the transport ended
    ├── InvocationError          the server answered an invocation with an error Completion
    ├── OperationTimeout         a public operation did not finish within its timeout
    │                            (also a ``TimeoutError``)
    └── UsageError               the caller misused the API (too many callbacks, closed client)

Classification is by SignalR message type, never by the name of an exception class (R12): an
error Completion is an ``InvocationError``, a Close message a ``HubClosedError``.
"""

from __future__ import annotations


class ClientError(Exception):
    """Root of every error raised by ``client``."""


class ConnectError(ClientError):
    def __init__(self, hub: str, reason: str) -> None:
        super().__init__(f"{hub} hub: {reason}")
        self.hub = hub
        self.reason = reason


class AuthError(ConnectError):
    """Credentials or token refused (HTTP 401, or ``success: false`` from Auth/loginKey)."""


class HubClosedError(ClientError):
    def __init__(self, hub: str, error: str | None, *, allow_reconnect: bool) -> None:
        super().__init__(f"{hub} hub closed: {error or 'no error'} (allowReconnect={allow_reconnect})")
        self.hub = hub
        self.error = error
        self.allow_reconnect = allow_reconnect


class InvocationError(ClientError):
    """The server's error Completion for an invocation; ``error`` is its text."""

    def __init__(self, target: str, error: str) -> None:
        super().__init__(f"{target}: {error}")
        self.target = target
        self.error = error


class OperationTimeout(ClientError, TimeoutError):
    """An operation did not finish in time; the client's state stays consistent."""


class UsageError(ClientError):
    """The API was used in a way the client's state does not allow."""
