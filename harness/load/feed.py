"""One SignalR hub connection for load: REST login, negotiate, WebSocket, handshake, invocations,
and the received hub messages, all blocking calls that gevent makes cooperative.

    token = login(base, "sim", "sim-api-key-0001")
    feed = HubFeed.connect(base, "market", token)
    feed.invoke("SubscribeContractQuotes", [contract])
    gevent.spawn(run_timers, [feed])  # keep-alive pings and the server timeout
    for message, size, received_at in feed.messages():
        ...

The protocol is ``signalr_protocol.Connection`` in the client role, as in the simulator and the
client: the feed only moves bytes and time. The handshake, the keep-alive pings and the server
timeout are the core's; ``run_timers`` calls ``handle_timer`` at the core's deadlines. A server
silent past the server timeout ends ``messages()`` with ``FeedError``.

websocket-client is used as measured fastest under gevent: ``skip_utf8_validation`` (3x faster
receive) and no per-frame lock (one greenlet receives; the timer greenlet only sends a ping now
and then, and wakes the receiver with ``abort`` when the server timed out).
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from collections import abc
from itertools import count
from typing import Any

import websocket

from signalr_protocol import (
    JSON,
    Closed,
    CloseReason,
    Connection,
    Event,
    HandshakeCompleted,
    HubMessage,
    Invocation,
    NegotiateResponse,
    Role,
    Timeouts,
    parse_negotiate_response,
)
from signalr_protocol.framing import RECORD_SEPARATOR

TIMEOUT_S = 10.0
# Pings every 10 s (the server cuts clients silent for 30 s); the server is given up after 30 s of
# silence, as ASP.NET's client does.
TIMEOUTS = Timeouts(keep_alive_interval_s=10.0, peer_timeout_s=30.0, handshake_timeout_s=TIMEOUT_S)


class FeedError(Exception):
    """The hub could not be reached, refused us, or broke the protocol."""


def post_json(url: str, body: Any, token: str | None = None, headers: dict[str, str] | None = None) -> Any:
    headers = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return json.loads(response.read() or b"null")
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise FeedError(f"POST {url.split('?', 1)[0]}: {exc}") from exc


def login(base: str, user: str, api_key: str) -> str:
    reply = post_json(f"{base}/api/Auth/loginKey", {"userName": user, "apiKey": api_key})
    if not reply or not reply.get("success") or not reply.get("token"):
        raise FeedError(f"login refused: {reply}")
    return str(reply["token"])


def contracts(base: str, token: str) -> list[str]:
    reply = post_json(f"{base}/api/Contract/available", {}, token)
    return [c["id"] for c in reply["contracts"]]


class HubFeed:
    def __init__(self, ws: websocket.WebSocket, conn: Connection) -> None:
        self.ws = ws
        self.conn = conn
        self._ids = count(1)
        self._sizes = RecordSizes()
        self._early: tuple[list[HubMessage], list[int]] = ([], [])  # came with the handshake answer

    @classmethod
    def connect(cls, base: str, hub: str, token: str, timeouts: Timeouts = TIMEOUTS) -> HubFeed:
        negotiated = parse_negotiate_response(
            post_json(f"{base}/hubs/{hub}/negotiate?negotiateVersion=1", None, token)
        )
        if not isinstance(negotiated, NegotiateResponse):
            raise FeedError("negotiate redirected: not supported by the load user")
        ws_url = f"{base.replace('http', 'ws', 1)}/hubs/{hub}?id={negotiated.id_for_connect}"
        try:
            ws = websocket.create_connection(
                ws_url,
                timeout=TIMEOUT_S,
                header=[f"Authorization: Bearer {token}"],
                skip_utf8_validation=True,
                enable_multithread=False,
            )
        except (OSError, websocket.WebSocketException) as exc:
            raise FeedError(f"WebSocket to {hub}: {exc}") from exc
        return cls.over(ws, timeouts)

    @classmethod
    def over(cls, ws: websocket.WebSocket, timeouts: Timeouts = TIMEOUTS) -> HubFeed:
        """A feed on an open WebSocket, once the core's handshake is done (the socket is closed
        when it fails)."""
        feed = cls(ws, Connection(Role.CLIENT, time.monotonic(), timeouts=timeouts))
        try:
            feed._handshake()
        except BaseException:
            feed.close()
            raise
        ws.settimeout(None)  # the receive loop blocks; close() or the timers' abort() stops it
        return feed

    def _handshake(self) -> None:
        self.conn.start_handshake(JSON, 1, time.monotonic())
        self._flush()
        received = b""
        while True:
            data = self._handshake_frame()
            received += data
            self.conn.receive_data(data, time.monotonic())
            events = self.conn.events_received()
            for index, event in enumerate(events):
                if isinstance(event, HandshakeCompleted):
                    rest = received[received.index(RECORD_SEPARATOR) + 1 :]
                    self._early = (_hub_messages(events[index + 1 :]), self._sizes.feed(rest))
                    return
                if isinstance(event, Closed):
                    raise FeedError(f"handshake refused: {event.error}")

    def _handshake_frame(self) -> bytes:
        """The next frame, waiting no longer than the core's handshake deadline."""
        deadline = self.conn.next_deadline()
        remaining_s = TIMEOUT_S if deadline is None else deadline - time.monotonic()
        try:
            if remaining_s <= 0:  # a zero timeout would make the socket non-blocking
                raise websocket.WebSocketTimeoutException("the handshake deadline has passed")
            self.ws.settimeout(remaining_s)
            return _bytes(self.ws.recv())
        except (TimeoutError, websocket.WebSocketTimeoutException) as exc:
            self.conn.handle_timer(time.monotonic())
            raise FeedError(f"handshake: {_closed_text(self.conn.close_event) or exc}") from exc
        except (OSError, websocket.WebSocketException) as exc:
            raise FeedError(f"the hub ended the connection during the handshake: {exc}") from exc

    def invoke(self, target: str, arguments: list[Any]) -> None:
        if self.conn.close_event is not None:
            raise FeedError(f"cannot invoke {target}: {_closed_text(self.conn.close_event)}")
        self.conn.send(Invocation(target, arguments, invocation_id=str(next(self._ids))), time.monotonic())
        self._flush()

    def next_deadline(self) -> float | None:
        """When (``time.monotonic()``) ``handle_timer`` is next due; None once closed."""
        return self.conn.next_deadline()

    def handle_timer(self) -> None:
        """Send the keep-alive ping that is due; when the server has been silent past the server
        timeout, wake the receive loop so that ``messages()`` raises ``FeedError``."""
        self.conn.handle_timer(time.monotonic())
        with contextlib.suppress(OSError, websocket.WebSocketException):  # closed: the reader says so
            self._flush()
        if self.conn.close_event is not None:
            self.ws.abort()  # type: ignore[no-untyped-call]  # a recv blocked elsewhere returns

    def messages(self) -> abc.Iterator[tuple[HubMessage, int, float]]:
        """Every hub message as it arrives, with its record size and the wall-clock time it is
        handed over; ends when the socket closes or after the server's Close (yielded first).
        Raises ``FeedError`` when the core closed the connection: the server was silent past the
        server timeout (see ``run_timers``) or broke the protocol."""
        conn, sizes, recv, clock, monotonic = self.conn, self._sizes, self.ws.recv, time.time, time.monotonic
        messages, lengths = self._early
        self._early = ([], [])
        while True:
            # lengths has one per record: more than messages when the core stopped at a Close or
            # skipped a record (enumerate, not zip: this loop runs per message, ~0.1 us cheaper)
            for index, message in enumerate(messages):
                yield message, lengths[index], clock()
            if conn.close_event is not None:
                _raise_unless_ordinary(conn.close_event)
                return
            try:
                frame = recv()
            except (OSError, websocket.WebSocketException):
                frame = ""
            if not frame:
                if conn.close_event is not None:  # the timers gave up on the server
                    _raise_unless_ordinary(conn.close_event)
                return
            data = frame.encode() if isinstance(frame, str) else frame
            conn.receive_data(data, monotonic())
            messages = _hub_messages(conn.events_received())
            lengths = sizes.feed(data)

    def _flush(self) -> None:
        records = self.conn.data_to_send()
        if records:
            self.ws.send(b"".join(records).decode())

    def close(self) -> None:
        """Send a Close (if still open) and close the socket."""
        self.conn.close(time.monotonic())
        with contextlib.suppress(OSError, websocket.WebSocketException):
            self._flush()
        with contextlib.suppress(OSError, websocket.WebSocketException):
            self.ws.close(timeout=1)


def run_timers(feeds: abc.Sequence[HubFeed]) -> None:
    """Call each feed's ``handle_timer`` at its deadlines (keep-alive pings, the server timeout)
    until every feed is closed. Under locust ``time.sleep`` is gevent's: run it in a greenlet."""
    while True:
        deadlines = [d for feed in feeds if (d := feed.next_deadline()) is not None]
        if not deadlines:
            return
        time.sleep(max(min(deadlines) - time.monotonic(), 0.0))
        for feed in feeds:
            feed.handle_timer()


class RecordSizes:
    """The size of each record in a text stream, in order: the core hands over messages, not
    records, and locust reports each message's size. The separators are found in place (no copy of
    the frame, unlike a split: ~0.15 us a record); a record the core skips (an unknown message
    type, which it ignores as the spec allows) shifts the sizes after it in its frame by one."""

    __slots__ = ("partial",)

    def __init__(self) -> None:
        self.partial = 0  # bytes of a record still arriving

    def feed(self, data: bytes) -> list[int]:
        find = data.find
        end = find(RECORD_SEPARATOR)
        if end == len(data) - 1 and not self.partial:  # one whole record: the usual frame at low rates
            return [end]
        sizes: list[int] = []
        start = 0
        while end >= 0:
            sizes.append(end - start)
            start = end + 1
            end = find(RECORD_SEPARATOR, start)
        if sizes:
            sizes[0] += self.partial
            self.partial = len(data) - start
        else:
            self.partial += len(data)
        return sizes


def _hub_messages(events: list[Event]) -> list[HubMessage]:
    """An open client connection's events: hub messages, then perhaps its one Closed (dropped
    here: the caller reads ``close_event``)."""
    if events and type(events[-1]) is Closed:
        events.pop()
    return events  # type: ignore[return-value]  # no handshake events once open


def _raise_unless_ordinary(closed: Closed) -> None:
    """A Close from the server (already yielded) or our own close ends the feed quietly."""
    if closed.reason not in (CloseReason.PEER_CLOSED, CloseReason.LOCAL):
        raise FeedError(f"connection closed: {_closed_text(closed)}")


def _closed_text(closed: Closed | None) -> str | None:
    return None if closed is None else f"{closed.reason.value} ({closed.error})"


def _bytes(frame: str | bytes) -> bytes:
    return frame.encode() if isinstance(frame, str) else frame
