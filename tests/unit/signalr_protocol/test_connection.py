import pytest

from signalr_protocol import (
    CONNECTION_CLOSED_WITH_ERROR,
    HANDSHAKE_CANCELED,
    HANDSHAKE_UNEXPECTED,
    JSON,
    MESSAGEPACK,
    PING,
    Close,
    Closed,
    CloseReason,
    Connection,
    HandshakeCompleted,
    HandshakeRequested,
    Invocation,
    Role,
    State,
    Timeouts,
    UsageError,
)

TIMEOUTS = Timeouts(keep_alive_interval_s=1.0, peer_timeout_s=3.0, handshake_timeout_s=2.0)


def server(now: float = 0.0, **kw: object) -> Connection:
    return Connection(Role.SERVER, now, timeouts=TIMEOUTS, **kw)  # type: ignore[arg-type]


def open_server(protocol: str = "json", now: float = 0.0, **kw: object) -> Connection:
    conn = server(now, **kw)
    conn.receive_data(f'{{"protocol":"{protocol}","version":1}}\x1e'.encode(), now)
    conn.events_received()
    conn.accept_handshake(now)
    conn.events_received()
    conn.data_to_send()
    return conn


def test_server_asks_driver_before_answering_the_handshake() -> None:
    conn = server()
    conn.receive_data(b'{"protocol":"json","version":1}\x1e', 0.1)
    [event] = conn.events_received()
    assert isinstance(event, HandshakeRequested)
    assert conn.state is State.HANDSHAKE_RECEIVED
    assert conn.data_to_send() == []
    conn.accept_handshake(0.2)
    assert conn.data_to_send() == [b"{}\x1e"]
    assert conn.events_received() == [HandshakeCompleted("json", 1)]


def test_records_that_arrive_with_the_handshake_are_processed_after_accept() -> None:
    conn = server()
    conn.receive_data(b'{"protocol":"json","version":1}\x1e{"type":6}\x1e{"type":1,"target":"a","argu', 0.0)
    conn.events_received()
    conn.accept_handshake(0.0)
    assert conn.events_received() == [HandshakeCompleted("json", 1), PING]
    conn.receive_data(b'ments":[]}\x1e', 0.1)
    assert conn.events_received() == [Invocation("a", [])]


def test_messagepack_switches_to_binary_frames_with_the_handshake_response() -> None:
    conn = server()
    conn.receive_data(b'{"protocol":"messagepack","version":1}\x1e', 0.0)
    conn.events_received()
    assert not conn.binary
    conn.accept_handshake(0.0)
    assert conn.binary
    assert conn.data_to_send() == [b"{}\x1e"]


@pytest.mark.parametrize(
    ("request_bytes", "error"),
    [
        (b"garbage\x1e", HANDSHAKE_UNEXPECTED),
        (b'{"protocol":"xml","version":1}\x1e', "The protocol 'xml' is not supported."),
        (
            b'{"protocol":"json","version":3}\x1e',
            "The server does not support version 3 of the 'json' protocol.",
        ),
    ],
)
def test_bad_handshake_gets_error_response_and_closes(request_bytes: bytes, error: str) -> None:
    conn = server()
    conn.receive_data(request_bytes, 0.0)
    assert conn.events_received() == [Closed(CloseReason.HANDSHAKE_FAILED, error)]
    assert conn.data_to_send() == [f'{{"error":"{error}"}}\x1e'.encode().replace(b"\\'", b"'")]
    assert conn.state is State.CLOSED


def test_oversized_handshake_is_canceled() -> None:
    conn = server(max_record_size=16)
    conn.receive_data(b'{"protocol":"json",   "version":1', 0.0)
    assert conn.events_received() == [Closed(CloseReason.HANDSHAKE_FAILED, HANDSHAKE_CANCELED)]


def test_server_handshake_timeout_cancels() -> None:
    conn = server(now=10.0)
    assert conn.next_deadline() == 12.0
    conn.handle_timer(11.9)
    assert conn.events_received() == []
    conn.handle_timer(12.0)
    assert conn.events_received() == [Closed(CloseReason.HANDSHAKE_TIMEOUT, HANDSHAKE_CANCELED)]
    assert conn.data_to_send() == [b'{"error":"Handshake was canceled."}\x1e']


def test_keep_alive_ping_only_after_interval_without_sending() -> None:
    conn = open_server(now=0.0)
    assert conn.next_deadline() == 1.0
    conn.send(Invocation("x", []), 0.5)
    conn.data_to_send()
    assert conn.next_deadline() == 1.5
    conn.handle_timer(1.5)
    assert conn.data_to_send() == [b'{"type":6}\x1e']
    assert conn.next_deadline() == 2.5


def test_server_closes_a_silent_client_with_allow_reconnect() -> None:
    conn = open_server(now=0.0)
    for t in (1.0, 2.0):
        conn.handle_timer(t)
    conn.receive_data(b'{"type":6}\x1e', 2.5)
    conn.handle_timer(5.4)
    assert conn.state is State.OPEN
    conn.handle_timer(5.5)
    events = conn.events_received()
    assert events[-1] == Closed(CloseReason.PEER_TIMEOUT, CONNECTION_CLOSED_WITH_ERROR, True)
    assert (
        conn.data_to_send()[-1]
        == b'{"type":7,"error":"Connection closed with an error.","allowReconnect":true}\x1e'
    )


def test_peer_timeout_is_paused_while_a_hub_method_runs() -> None:
    conn = open_server(now=0.0)
    conn.pause_peer_timeout()
    conn.handle_timer(10.0)
    assert conn.state is State.OPEN
    conn.resume_peer_timeout(10.0)
    assert conn.next_deadline() is not None
    conn.handle_timer(12.9)
    assert conn.state is State.OPEN
    conn.handle_timer(13.0)
    assert conn.state is State.CLOSED


def test_close_message_from_peer_ends_the_connection() -> None:
    conn = open_server()
    conn.receive_data(b'{"type":7,"error":"bye","allowReconnect":true}\x1e{"type":6}\x1e', 1.0)
    assert conn.events_received() == [Close("bye", True), Closed(CloseReason.PEER_CLOSED, "bye", True)]
    conn.receive_data(b'{"type":6}\x1e', 1.1)
    assert conn.events_received() == []


def test_malformed_record_closes_with_the_aspnet_error() -> None:
    conn = open_server()
    conn.receive_data(b'{"type":1}\x1e', 1.0)
    [closed] = conn.events_received()
    assert isinstance(closed, Closed)
    assert closed.reason is CloseReason.PROTOCOL_ERROR
    assert conn.data_to_send() == [
        b'{"type":7,"error":"Connection closed with an error.","allowReconnect":true}\x1e'
    ]


def test_oversized_record_closes_the_connection() -> None:
    conn = open_server(max_record_size=64)
    conn.receive_data(b"x" * 65, 0.1)
    [closed] = conn.events_received()
    assert isinstance(closed, Closed)
    assert "exceeds 64 bytes" in (closed.error or "")


def test_unknown_message_types_are_skipped_without_closing() -> None:
    conn = open_server()
    conn.receive_data(b'{"type":99}\x1e{"type":6}\x1e', 1.0)
    assert conn.events_received() == [PING]
    assert conn.state is State.OPEN


def test_local_close_sends_close_once() -> None:
    conn = open_server()
    conn.close(1.0, error="shutting down", allow_reconnect=True)
    conn.close(1.1)
    assert conn.data_to_send() == [b'{"type":7,"error":"shutting down","allowReconnect":true}\x1e']
    assert conn.events_received() == [Closed(CloseReason.LOCAL, "shutting down", True)]


def test_sending_before_the_handshake_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        server().send(PING, 0.0)


def test_client_handshake_then_messages_in_the_same_frame() -> None:
    conn = Connection(Role.CLIENT, 0.0, timeouts=TIMEOUTS)
    assert conn.next_deadline() is None
    conn.start_handshake(MESSAGEPACK, 1, 0.0)
    assert conn.data_to_send() == [b'{"protocol":"messagepack","version":1}\x1e']
    assert not conn.binary
    conn.receive_data(b"{}\x1e" + MESSAGEPACK.encode(Invocation("tick", [1])), 0.1)
    assert conn.events_received() == [HandshakeCompleted("messagepack", 1), Invocation("tick", [1])]
    assert conn.binary


def test_client_handshake_error_and_timeout() -> None:
    conn = Connection(Role.CLIENT, 0.0, timeouts=TIMEOUTS)
    conn.start_handshake(JSON, 1, 5.0)
    conn.receive_data(b'{"error":"nope"}\x1e', 5.1)
    assert conn.events_received() == [Closed(CloseReason.HANDSHAKE_FAILED, "nope")]
    slow = Connection(Role.CLIENT, 0.0, timeouts=TIMEOUTS)
    slow.start_handshake(JSON, 1, 5.0)
    slow.handle_timer(7.0)
    [closed] = slow.events_received()
    assert isinstance(closed, Closed)
    assert closed.reason is CloseReason.HANDSHAKE_TIMEOUT


def test_client_detects_a_silent_server() -> None:
    conn = Connection(Role.CLIENT, 0.0, timeouts=TIMEOUTS)
    conn.start_handshake(JSON, 1, 0.0)
    conn.receive_data(b"{}\x1e", 0.0)
    conn.events_received()
    conn.handle_timer(3.0)
    [closed] = conn.events_received()
    assert isinstance(closed, Closed)
    assert closed.reason is CloseReason.PEER_TIMEOUT
    assert "Server timeout elapsed" in (closed.error or "")


def test_next_deadline_is_the_earliest_armed_timer() -> None:
    conn = Connection(Role.SERVER, 0.0, timeouts=Timeouts(keep_alive_interval_s=10.0, peer_timeout_s=3.0))
    conn.receive_data(b'{"protocol":"json","version":1}\x1e', 0.0)
    conn.events_received()
    conn.accept_handshake(0.0)
    assert conn.next_deadline() == 3.0  # the peer timeout comes before the keep-alive ping
    conn.pause_peer_timeout()
    assert conn.next_deadline() == 10.0
