"""Negotiated connection ids and their one-socket life.

Rules (ASP.NET Core ``HttpConnectionManager``): negotiate creates an id; a WebSocket presents it
as ``?id=`` (the token from negotiate version 1, the connection id for version 0); an unknown id
is 404 before the upgrade; an id with a live socket is 409; once that socket closes the id is
gone (404 again); a negotiated id nobody connects to is forgotten after ``disconnect_timeout_s``.
A WebSocket without ``?id=`` skips negotiation and gets a fresh id.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from enum import Enum

from .recording import HttpRequestRecord


class IdStatus(Enum):
    NEGOTIATED = "negotiated"
    ACTIVE = "active"


@dataclass(slots=True)
class NegotiatedId:
    connection_id: str
    connection_token: str
    version: int
    hub: str
    created_at: float
    negotiate: HttpRequestRecord | None
    status: IdStatus = field(default=IdStatus.NEGOTIATED)

    @property
    def key(self) -> str:
        """What a client puts in ``?id=``."""
        return self.connection_token if self.version >= 1 else self.connection_id


class UnknownConnectionId(LookupError):
    """No connection with that id: never negotiated, expired, or already used."""


class ConnectionIdInUse(LookupError):
    """A socket is already open for that id."""


def _new_id() -> str:
    return str(uuid.uuid4())


class ConnectionRegistry:
    def __init__(self, disconnect_timeout_s: float) -> None:
        self.disconnect_timeout_s = disconnect_timeout_s
        self._by_key: dict[str, NegotiatedId] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def negotiate(self, hub: str, version: int, now: float, record: HttpRequestRecord | None) -> NegotiatedId:
        self.expire(now)
        token = secrets.token_urlsafe(16) if version >= 1 else ""
        entry = NegotiatedId(_new_id(), token, version, hub, now, record)
        if version < 1:
            entry.connection_token = entry.connection_id
        self._by_key[entry.key] = entry
        return entry

    def claim(self, hub: str, key: str | None, now: float) -> NegotiatedId:
        """Take the id for a new socket; without ``key`` a fresh id is made (skip negotiation)."""
        self.expire(now)
        if key is None:
            entry = NegotiatedId(_new_id(), "", 0, hub, now, None, IdStatus.ACTIVE)
            entry.connection_token = entry.connection_id
            self._by_key[entry.key] = entry
            return entry
        entry_or_none = self._by_key.get(key)
        if entry_or_none is None or entry_or_none.hub != hub:
            raise UnknownConnectionId(key)
        if entry_or_none.status is IdStatus.ACTIVE:
            raise ConnectionIdInUse(key)
        entry_or_none.status = IdStatus.ACTIVE
        return entry_or_none

    def known(self, key: str) -> bool:
        return key in self._by_key

    def release(self, entry: NegotiatedId) -> None:
        """The socket closed: the id is consumed."""
        self._by_key.pop(entry.key, None)

    def expire(self, now: float) -> None:
        cutoff = now - self.disconnect_timeout_s
        stale = [
            key
            for key, entry in self._by_key.items()
            if entry.status is IdStatus.NEGOTIATED and entry.created_at < cutoff
        ]
        for key in stale:
            del self._by_key[key]
