"""A SignalR hub connection as a state machine, for either side, with no I/O and no clock.

The driver (an asyncio server, an asyncio client, a gevent locust user, a Hypothesis state machine)
feeds it bytes with ``receive_data(data, now)``, takes what happened from ``events_received()``
and what to write from ``data_to_send()``, and calls ``handle_timer(now)`` at ``next_deadline()``.
``binary`` says which WebSocket frame type to use for what ``data_to_send()`` returns.

States::

    HANDSHAKING ──request ok (server)──► HANDSHAKE_RECEIVED ──accept──► OPEN ──► CLOSED
         │  └──────────response {} (client)─────────────────────────────┘        ▲
         └── bad/rejected handshake, handshake timeout ──────────────────────────┘

Every connection ends with exactly one ``Closed`` event saying why. Timers: the handshake
deadline (until the handshake is done), the keep-alive ping (nothing sent for
``keep_alive_interval_s``), and the peer timeout (nothing received for ``peer_timeout_s``; it can
be paused while a hub method runs, as ASP.NET Core does).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import HandshakeError, ProtocolError, UsageError
from .framing import RECORD_SEPARATOR, BinaryRecordReader, TextRecordReader
from .handshake import (
    HandshakeRequest,
    HandshakeResponse,
    parse_handshake_request,
    parse_handshake_response,
    select_protocol,
)
from .messages import (
    CONNECTION_CLOSED_WITH_ERROR,
    HANDSHAKE_CANCELED,
    HANDSHAKE_UNEXPECTED,
    PING,
    Close,
    HubMessage,
)
from .protocols import HubProtocol

SERVER_TIMEOUT_ERROR = "Server timeout elapsed without receiving a message from the server."
CLIENT_HANDSHAKE_TIMEOUT_ERROR = "The handshake timed out."
PENDING_RECORDS = 4  # server: records' worth of bytes held while a handshake waits for its answer


class Role(Enum):
    CLIENT = "client"
    SERVER = "server"


class State(Enum):
    HANDSHAKING = "handshaking"
    HANDSHAKE_RECEIVED = "handshake_received"
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(Enum):
    PEER_CLOSED = "peer_closed"  # a Close message arrived
    LOCAL = "local"  # close() was called
    PEER_TIMEOUT = "peer_timeout"  # nothing received for peer_timeout_s
    HANDSHAKE_TIMEOUT = "handshake_timeout"
    HANDSHAKE_FAILED = "handshake_failed"  # malformed, unsupported, or refused
    PROTOCOL_ERROR = "protocol_error"  # the peer sent something the protocol does not allow


@dataclass(frozen=True, slots=True)
class HandshakeRequested:
    """Server side: a valid request arrived; call ``accept_handshake`` or ``reject_handshake``."""

    request: HandshakeRequest
    protocol: HubProtocol


@dataclass(frozen=True, slots=True)
class HandshakeCompleted:
    protocol: str
    version: int


@dataclass(frozen=True, slots=True)
class Closed:
    reason: CloseReason
    error: str | None = None
    allow_reconnect: bool = False


Event = HubMessage | HandshakeRequested | HandshakeCompleted | Closed


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds; ``None`` disables that timer. Defaults are ASP.NET Core's."""

    keep_alive_interval_s: float | None = 15.0
    peer_timeout_s: float | None = 30.0
    handshake_timeout_s: float | None = 15.0


class Connection:
    """One side of one hub connection."""

    def __init__(
        self,
        role: Role,
        now: float,
        *,
        timeouts: Timeouts | None = None,
        max_record_size: int | None = None,
    ) -> None:
        self.role = role
        self.timeouts = timeouts or Timeouts()
        self.max_record_size = max_record_size
        self.state = State.HANDSHAKING
        self.protocol: HubProtocol | None = None
        self.handshake: HandshakeRequest | None = None
        self.close_event: Closed | None = None
        self._handshake_buffer = b""
        self._pending = b""  # server: bytes that arrived after the request, before accept
        self._reader: TextRecordReader | BinaryRecordReader | None = None
        self._events: list[Event] = []
        self._outgoing: list[bytes] = []
        self._own_messages: list[HubMessage] = []  # sent by the core itself: pings, Close
        self._binary = False
        self._started_at = now
        self._last_sent = now
        self._last_received = now
        self._peer_timeout_paused = False
        self._handshake_started = role is Role.SERVER

    # -- what the driver reads -------------------------------------------------------------

    @property
    def binary(self) -> bool:
        """True once a binary hub protocol is active: write ``data_to_send()`` as binary frames."""
        return self._binary

    def events_received(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """Pending outgoing records, each whole (a driver may join several into one frame)."""
        out, self._outgoing = self._outgoing, []
        return out

    def messages_sent_by_core(self) -> list[HubMessage]:
        """Messages the core queued on its own (keep-alive Pings, Close) since the last call.

        ``send`` callers already know what they sent; this is for drivers that record everything.
        """
        own, self._own_messages = self._own_messages, []
        return own

    def next_deadline(self) -> float | None:
        """When ``handle_timer`` must next be called, or None if no timer is armed."""
        t = self.timeouts
        if self.state is State.HANDSHAKING:
            if t.handshake_timeout_s is None or not self._handshake_started:
                return None
            return self._started_at + t.handshake_timeout_s
        if self.state is not State.OPEN:
            return None
        deadlines = []
        if t.keep_alive_interval_s is not None:
            deadlines.append(self._last_sent + t.keep_alive_interval_s)
        if t.peer_timeout_s is not None and not self._peer_timeout_paused:
            deadlines.append(self._last_received + t.peer_timeout_s)
        return min(deadlines) if deadlines else None

    # -- client handshake ------------------------------------------------------------------

    def start_handshake(self, protocol: HubProtocol, version: int, now: float) -> None:
        """Client side: send the handshake request for ``protocol``."""
        if self.role is not Role.CLIENT or self.state is not State.HANDSHAKING:
            raise UsageError("start_handshake is for a client that has not shaken hands yet")
        self.protocol = protocol
        self.handshake = HandshakeRequest(protocol.name, version)
        self._handshake_started = True
        self._started_at = now
        self._queue(self.handshake.encode(), now)

    # -- server handshake ------------------------------------------------------------------

    def accept_handshake(self, now: float) -> None:
        """Server side: answer ``{}`` and open; bytes that arrived meanwhile are processed now."""
        if self.state is not State.HANDSHAKE_RECEIVED or self.protocol is None or self.handshake is None:
            raise UsageError("accept_handshake needs a received handshake request")
        self._binary = self.protocol.binary
        self._queue(HandshakeResponse().encode(), now)
        self._open(now)
        pending, self._pending = self._pending, b""
        if pending:
            self._receive_messages(pending, now)

    def reject_handshake(self, error: str, now: float) -> None:
        """Server side: answer ``{"error": ...}`` and close."""
        if self.state not in (State.HANDSHAKING, State.HANDSHAKE_RECEIVED):
            raise UsageError("reject_handshake needs a connection that is still shaking hands")
        self._queue(HandshakeResponse(error).encode(), now)
        self._finish(Closed(CloseReason.HANDSHAKE_FAILED, error))

    # -- sending ---------------------------------------------------------------------------

    def send(self, message: HubMessage, now: float) -> bytes:
        """Encode and queue ``message``; returns its record (so a driver can record the size)."""
        if self.protocol is None:
            raise UsageError("cannot send before the handshake")
        record = self.protocol.encode(message)
        self.send_record(record, now)
        return record

    def send_record(self, record: bytes, now: float) -> None:
        """Queue an already encoded record (a broadcast encodes once for many connections)."""
        if self.state is not State.OPEN:
            raise UsageError(f"cannot send in state {self.state.value}")
        self._outgoing.append(record)
        self._last_sent = now

    def close(self, now: float, *, error: str | None = None, allow_reconnect: bool = False) -> None:
        """Close from this side: a Close message goes out if the connection is open."""
        if self.state is State.CLOSED:
            return
        if self.state is State.OPEN:
            self._send_own(Close(error, allow_reconnect), now)
        self._finish(Closed(CloseReason.LOCAL, error, allow_reconnect))

    # -- receiving and time ----------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes from the transport, in any split."""
        if self.state is State.CLOSED or not data:
            return
        self._last_received = now
        if self.state is State.OPEN:
            self._receive_messages(data, now)
        elif self.state is State.HANDSHAKE_RECEIVED:
            self._pending += data
            # held until the handshake is answered: never more than a few records' worth
            if (
                self.max_record_size is not None
                and len(self._pending) > PENDING_RECORDS * self.max_record_size
            ):
                self._handshake_failed(HANDSHAKE_CANCELED, now)
        else:
            self._receive_handshake(data, now)

    def pause_peer_timeout(self) -> None:
        """Stop the peer timeout (while a hub method runs and nothing is being read)."""
        self._peer_timeout_paused = True

    def resume_peer_timeout(self, now: float) -> None:
        self._peer_timeout_paused = False
        self._last_received = now

    def handle_timer(self, now: float) -> None:
        """Act on every deadline that has passed by ``now``."""
        t = self.timeouts
        if self.state is State.HANDSHAKING:
            deadline = self.next_deadline()
            if deadline is not None and now >= deadline:
                self._handshake_timed_out(now)
            return
        if self.state is not State.OPEN:
            return
        if (
            t.peer_timeout_s is not None
            and not self._peer_timeout_paused
            and now >= self._last_received + t.peer_timeout_s
        ):
            self._peer_timed_out(now)
            return
        if t.keep_alive_interval_s is not None and now >= self._last_sent + t.keep_alive_interval_s:
            self._send_own(PING, now)

    # -- internals -------------------------------------------------------------------------

    def _send_own(self, message: HubMessage, now: float) -> None:
        self.send(message, now)
        self._own_messages.append(message)

    def _queue(self, record: bytes, now: float) -> None:
        self._outgoing.append(record)
        self._last_sent = now

    def _open(self, now: float) -> None:
        assert self.protocol is not None
        assert self.handshake is not None
        self.state = State.OPEN
        self._last_received = now
        self._reader = self.protocol.new_reader(self.max_record_size)
        self._events.append(HandshakeCompleted(self.protocol.name, self.handshake.version))

    def _finish(self, closed: Closed) -> None:
        self.state = State.CLOSED
        self.close_event = closed
        self._events.append(closed)

    def _receive_handshake(self, data: bytes, now: float) -> None:
        buffer = self._handshake_buffer + data
        end = buffer.find(RECORD_SEPARATOR)
        if end < 0:
            self._handshake_buffer = buffer
            if self.max_record_size is not None and len(buffer) > self.max_record_size:
                self._handshake_failed(HANDSHAKE_CANCELED, now)
            return
        self._handshake_buffer = b""
        if self.max_record_size is not None and end > self.max_record_size:  # the handshake itself
            self._handshake_failed(HANDSHAKE_CANCELED, now)
            return
        record, rest = buffer[:end], buffer[end + 1 :]
        if self.role is Role.SERVER:
            self._server_handshake(record, rest, now)
        else:
            self._client_handshake(record, rest, now)

    def _server_handshake(self, record: bytes, rest: bytes, now: float) -> None:
        try:
            request = parse_handshake_request(record)
        except HandshakeError:
            self._handshake_failed(HANDSHAKE_UNEXPECTED, now)
            return
        try:
            protocol = select_protocol(request)
        except HandshakeError as exc:
            self._handshake_failed(str(exc), now)
            return
        self.handshake, self.protocol = request, protocol
        self.state = State.HANDSHAKE_RECEIVED
        self._pending = rest
        self._events.append(HandshakeRequested(request, protocol))

    def _client_handshake(self, record: bytes, rest: bytes, now: float) -> None:
        try:
            response = parse_handshake_response(record)
        except HandshakeError as exc:
            self._finish(Closed(CloseReason.HANDSHAKE_FAILED, str(exc)))
            return
        if response.error is not None:
            self._finish(Closed(CloseReason.HANDSHAKE_FAILED, response.error))
            return
        assert self.protocol is not None
        self._binary = self.protocol.binary
        self._open(now)
        if rest:
            self._receive_messages(rest, now)

    def _handshake_failed(self, error: str, now: float) -> None:
        if self.role is Role.SERVER:
            self.reject_handshake(error, now)
        else:
            self._finish(Closed(CloseReason.HANDSHAKE_FAILED, error))

    def _handshake_timed_out(self, now: float) -> None:
        if self.role is Role.SERVER:
            self._queue(HandshakeResponse(HANDSHAKE_CANCELED).encode(), now)
            self._finish(Closed(CloseReason.HANDSHAKE_TIMEOUT, HANDSHAKE_CANCELED))
        else:
            self._finish(Closed(CloseReason.HANDSHAKE_TIMEOUT, CLIENT_HANDSHAKE_TIMEOUT_ERROR))

    def _peer_timed_out(self, now: float) -> None:
        if self.role is Role.SERVER:
            self._send_own(Close(CONNECTION_CLOSED_WITH_ERROR, allow_reconnect=True), now)
            self._finish(Closed(CloseReason.PEER_TIMEOUT, CONNECTION_CLOSED_WITH_ERROR, True))
        else:
            self._finish(Closed(CloseReason.PEER_TIMEOUT, SERVER_TIMEOUT_ERROR, True))

    def _receive_messages(self, data: bytes, now: float) -> None:
        assert self._reader is not None
        assert self.protocol is not None
        try:
            records = self._reader.feed(data)
            for record in records:
                message = self.protocol.decode(record)
                if message is None:
                    continue  # unknown message type: ignored, as the spec allows
                self._events.append(message)
                if isinstance(message, Close):
                    self._finish(Closed(CloseReason.PEER_CLOSED, message.error, message.allow_reconnect))
                    return
        except ProtocolError as exc:
            self._protocol_violation(str(exc), now)

    def _protocol_violation(self, detail: str, now: float) -> None:
        if self.role is Role.SERVER:
            self._send_own(Close(CONNECTION_CLOSED_WITH_ERROR, allow_reconnect=True), now)
        self._finish(Closed(CloseReason.PROTOCOL_ERROR, detail, allow_reconnect=True))
