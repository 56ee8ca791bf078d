"""What the simulator saw of each connection: the HTTP requests, where the token was, the
handshake, and every message in and out with its time.

Tokens never appear in a record: query values and Authorization headers are redacted, and the
token is kept as a short SHA-256 fingerprint, so a check can still tell "the same token as last
time" from "a fresh one" and "in the URL" from "in the header".
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
from collections import abc, deque
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode

import orjson
from aiohttp import web

from signalr_protocol import HubMessage
from signalr_protocol.json_protocol import to_json_object

TOKEN_QUERY_KEY = "access_token"
REDACTED = "<redacted>"


def fingerprint(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class TokenSighting:
    """Where a request carried a bearer token: ``header``, ``query``, ``both`` or None."""

    source: str | None
    fingerprint: str | None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "fingerprint": self.fingerprint}


def bearer_from_header(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def find_token(request: web.BaseRequest) -> tuple[TokenSighting, str | None]:
    """The token a request presents (header first, as ASP.NET's JWT handler) and where it was."""
    header_token = bearer_from_header(request.headers.get("Authorization"))
    query_token = request.query.get(TOKEN_QUERY_KEY) or None
    token = header_token or query_token
    if header_token and query_token:
        source = "both"
    elif header_token:
        source = "header"
    elif query_token:
        source = "query"
    else:
        source = None
    return TokenSighting(source, fingerprint(token) if token else None), token


def redact_target(path: str, query_string: str) -> str:
    if not query_string:
        return path
    pairs = parse_qsl(query_string, keep_blank_values=True)
    redacted = [(k, REDACTED if k.lower() == TOKEN_QUERY_KEY else v) for k, v in pairs]
    return f"{path}?{urlencode(redacted, safe='<>')}"


# The headers a record keeps (lower case): what says who the client is and how it connects. Others
# are counted, not kept, and every value is cut at MAX_HEADER_VALUE characters: a record's size
# does not depend on what a client sends.
KEPT_HEADERS = frozenset(
    (
        "host", "user-agent", "authorization", "cookie", "content-type", "content-length", "origin",
        "upgrade", "connection", "accept", "x-requested-with", "x-signalr-user-agent",
        "sec-websocket-version", "sec-websocket-protocol", "sec-websocket-extensions",
    )
)  # fmt: skip
MAX_HEADER_VALUE = 256
MAX_TARGET = 1024


def redact_header(name: str, value: str) -> str:
    if name.lower() in ("authorization", "cookie"):
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {REDACTED}" if rest else REDACTED
    return value


@dataclass(frozen=True, slots=True)
class HttpRequestRecord:
    t: float
    method: str
    target: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    token: TokenSighting
    headers_omitted: int = 0  # not in KEPT_HEADERS

    @classmethod
    def from_request(cls, request: web.BaseRequest, t: float) -> HttpRequestRecord:
        sighting, _ = find_token(request)
        version = f"HTTP/{request.version.major}.{request.version.minor}"
        kept = [(k, v) for k, v in request.headers.items() if k.lower() in KEPT_HEADERS]
        headers = tuple((k, redact_header(k, v)[:MAX_HEADER_VALUE]) for k, v in kept)
        target = redact_target(request.path, request.query_string)[:MAX_TARGET]
        return cls(t, request.method, target, version, headers, sighting, len(request.headers) - len(kept))

    @property
    def size(self) -> int:
        """Roughly what the record holds, in bytes (for the stores' byte caps)."""
        return 200 + len(self.target) + sum(len(k) + len(v) + 16 for k, v in self.headers)

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.target} {self.http_version}"

    def to_json(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "requestLine": self.request_line,
            "headers": [list(h) for h in self.headers],
            "headersOmitted": self.headers_omitted,
            "token": self.token.to_json(),
        }


T = TypeVar("T")


class BoundedLog(Generic[T]):
    """The newest items, at most ``max_items`` of them and ``max_bytes`` by their given sizes."""

    def __init__(self, max_items: int, max_bytes: int) -> None:
        self.max_items, self.max_bytes = max_items, max_bytes
        self._items: deque[tuple[T, int]] = deque()
        self.bytes = 0

    def append(self, item: T, size: int) -> None:
        self._items.append((item, size))
        self.bytes += size
        while self._items and (len(self._items) > self.max_items or self.bytes > self.max_bytes):
            self.bytes -= self._items.popleft()[1]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> abc.Iterator[T]:
        return (item for item, _ in self._items)


MESSAGE_BYTES_IN = 1024 * 1024  # per connection record: what the client sent (its calls)
MESSAGE_BYTES_OUT = 2 * 1024 * 1024  # and what the server sent (the send history keeps every send)


def _message_size(message: HubMessage) -> int:
    """An estimate of an incoming message's size (its record is gone by now), cheap and bounded."""
    return 64 + min(len(repr(message)), 64 * 1024)


class ConnectionRecord:
    """Everything about one hub connection. The message log keeps the newest messages each way:
    at most ``limit`` and ``MESSAGE_BYTES_IN`` / ``MESSAGE_BYTES_OUT`` bytes (counts stay exact)."""

    def __init__(
        self,
        connection_id: str,
        hub: str,
        negotiate: HttpRequestRecord | None,
        upgrade: HttpRequestRecord,
        limit: int,
    ) -> None:
        self.connection_id = connection_id
        self.hub = hub
        self.negotiate = negotiate
        self.upgrade = upgrade
        self._in: BoundedLog[tuple[float, str, HubMessage]] = BoundedLog(limit, MESSAGE_BYTES_IN)
        self._out: BoundedLog[tuple[float, str, HubMessage]] = BoundedLog(limit, MESSAGE_BYTES_OUT)
        self.count_in = 0
        self.count_out = 0
        self.bytes_out = 0
        self.handshake: dict[str, Any] | None = None
        self.opened_at = upgrade.t
        self.closed_at: float | None = None
        self.close: dict[str, Any] | None = None

    def message_in(self, t: float, message: HubMessage) -> None:
        self.count_in += 1
        self._in.append((t, "in", message), _message_size(message))

    def message_out(self, t: float, message: HubMessage, size: int) -> None:
        self.count_out += 1
        self.bytes_out += size
        self._out.append((t, "out", message), 64 + size)

    @property
    def messages(self) -> list[tuple[float, str, HubMessage]]:
        """The messages kept, both ways, oldest first."""
        return list(heapq.merge(self._in, self._out, key=lambda m: m[0]))

    @property
    def size(self) -> int:
        """Roughly the bytes this record holds (for the server's cap on closed records)."""
        negotiate = self.negotiate.size if self.negotiate else 0
        return 1024 + negotiate + self.upgrade.size + self._in.bytes + self._out.bytes

    def set_handshake(self, t: float, protocol: str, version: int, error: str | None = None) -> None:
        self.handshake = {"t": t, "protocol": protocol, "version": version, "error": error}

    def set_closed(self, t: float, **details: Any) -> None:
        if self.closed_at is None:
            self.closed_at = t
            self.close = details

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def summary(self) -> dict[str, Any]:
        return {
            "connectionId": self.connection_id,
            "hub": self.hub,
            "open": self.is_open,
            "openedAt": self.opened_at,
            "closedAt": self.closed_at,
            "close": self.close,
            "handshake": self.handshake,
            "token": self.upgrade.token.to_json(),
            "messagesIn": self.count_in,
            "messagesOut": self.count_out,
            "bytesOut": self.bytes_out,
        }

    def to_json(self, include_messages: bool = True) -> dict[str, Any]:
        body = self.summary()
        body["negotiate"] = self.negotiate.to_json() if self.negotiate else None
        body["upgrade"] = self.upgrade.to_json()
        if include_messages:
            body["messages"] = [message_json(t, d, m) for t, d, m in self.messages]
            body["messagesDropped"] = self.count_in + self.count_out - len(self.messages)
        return body


# Set by the server's request-log middleware on every hub and REST request.
REQUEST_RECORD_KEY = web.RequestKey("faultline.request_record", HttpRequestRecord)
REQUEST_LOG_KEY = web.RequestKey("faultline.request_log", dict)


def message_json(t: float, direction: str, message: HubMessage) -> dict[str, Any]:
    return {"t": t, "dir": direction, **to_json_object(message)}


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"$base64": base64.b64encode(value).decode()}
    return repr(value)


def dumps(value: Any) -> str:
    """JSON for records; MessagePack payloads may hold bytes or timestamps, which become readable,
    and non-finite floats (a MessagePack client may send NaN), which become null: the answer is
    always JSON that ``JSON.parse`` reads."""
    try:
        return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # nested past orjson's 254 levels (a hostile client's message)
        return json.dumps(value, default=_json_default, ensure_ascii=False)
