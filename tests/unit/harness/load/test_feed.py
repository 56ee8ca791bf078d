"""The load feed drives ``signalr_protocol.Connection``: the handshake, the record sizes locust
reports, the keep-alive ping and the server timeout, over a scripted WebSocket (no sockets, no
sleeping: timers at 0 s are due at once)."""

from __future__ import annotations

import pytest
import websocket

from harness.load.feed import FeedError, HubFeed, RecordSizes
from signalr_protocol import JSON, Close, Completion, Invocation, Ping, Timeouts

NO_TIMERS = Timeouts(keep_alive_interval_s=None, peer_timeout_s=None, handshake_timeout_s=None)
QUOTE = b'{"type":1,"target":"GatewayQuote","arguments":["CON.F.US.MNQ.Z26",{"bid":1}]}'


class ScriptedWebSocket:
    """Answers ``recv`` from a list of frames (an exception in it is raised); after the last
    frame, or after ``abort``, the connection is gone."""

    def __init__(self, *frames: str | BaseException) -> None:
        self.frames = list(frames)
        self.sent: list[str] = []
        self.aborted = False
        self.closed = False

    def send(self, data: str) -> None:
        self.sent.append(data)

    def recv(self) -> str:
        if self.aborted or not self.frames:
            raise websocket.WebSocketConnectionClosedException("Connection to remote host was lost.")
        frame = self.frames.pop(0)
        if isinstance(frame, BaseException):
            raise frame
        return frame

    def settimeout(self, timeout_s: float | None) -> None:
        pass

    def abort(self) -> None:
        self.aborted = True

    def close(self, timeout: float) -> None:
        self.closed = True


def feed_over(ws: ScriptedWebSocket, timeouts: Timeouts = NO_TIMERS) -> HubFeed:
    return HubFeed.over(ws, timeouts)  # type: ignore[arg-type]


def test_the_handshake_request_is_the_cores_and_records_after_the_answer_are_kept() -> None:
    ws = ScriptedWebSocket("{}\x1e" + QUOTE.decode() + '\x1e{"type":6}\x1e')
    feed = feed_over(ws)
    assert ws.sent == ['{"protocol":"json","version":1}\x1e']
    received = [(message, size) for message, size, _ in feed.messages()]
    assert received == [(JSON.decode(QUOTE), len(QUOTE)), (Ping(), len(b'{"type":6}'))]


def test_a_rejected_handshake_raises_feed_error_with_the_servers_message_and_closes() -> None:
    ws = ScriptedWebSocket('{"error":"The protocol \'json\' is not supported."}\x1e')
    with pytest.raises(FeedError, match=r"^handshake refused: The protocol 'json' is not supported\.$"):
        feed_over(ws)
    assert ws.closed


def test_a_handshake_answer_that_never_comes_times_out_on_the_cores_deadline() -> None:
    ws = ScriptedWebSocket(websocket.WebSocketTimeoutException("timed out"))
    with pytest.raises(FeedError, match=r"handshake: handshake_timeout \(The handshake timed out\.\)"):
        feed_over(ws, Timeouts(handshake_timeout_s=0.0))


def test_sizes_are_each_records_own_when_records_span_frames() -> None:
    ws = ScriptedWebSocket("{}\x1e", QUOTE[:10].decode(), QUOTE[10:].decode() + '\x1e{"type":6}', "\x1e")
    feed = feed_over(ws)
    assert [size for _, size, _ in feed.messages()] == [len(QUOTE), len(b'{"type":6}')]


def test_record_sizes_carry_a_partial_record_over() -> None:
    sizes = RecordSizes()
    assert sizes.feed(b"abcd\x1e") == [4]
    assert sizes.feed(b"abc") == []
    assert sizes.feed(b"de\x1e\x1efgh\x1eij") == [5, 0, 3]
    assert sizes.feed(b"\x1e") == [2]
    assert sizes.feed(b"ab") == []
    assert sizes.feed(b"c\x1e") == [3]


def test_the_servers_close_is_yielded_and_ends_the_feed_quietly() -> None:
    close = b'{"type":7,"error":"Server is shutting down.","allowReconnect":true}'
    ws = ScriptedWebSocket("{}\x1e", close.decode() + "\x1e" + QUOTE.decode() + "\x1e")
    feed = feed_over(ws)
    assert [message for message, _, _ in feed.messages()] == [Close("Server is shutting down.", True)]


def test_invocations_go_through_the_core_with_fresh_ids() -> None:
    ws = ScriptedWebSocket("{}\x1e")
    feed = feed_over(ws)
    feed.invoke("SubscribeContractQuotes", ["CON.F.US.MNQ.Z26"])
    feed.invoke("SubscribeContractTrades", ["CON.F.US.MNQ.Z26"])
    sent = [JSON.decode(frame.encode().rstrip(b"\x1e")) for frame in ws.sent[1:]]
    assert sent == [
        Invocation("SubscribeContractQuotes", ["CON.F.US.MNQ.Z26"], "1"),
        Invocation("SubscribeContractTrades", ["CON.F.US.MNQ.Z26"], "2"),
    ]


def test_the_timer_pings_when_nothing_was_sent_for_the_keep_alive_interval() -> None:
    ws = ScriptedWebSocket("{}\x1e")
    feed = feed_over(ws, Timeouts(keep_alive_interval_s=0.0, peer_timeout_s=None))
    feed.handle_timer()
    assert ws.sent[1:] == ['{"type":6}\x1e']
    assert not ws.aborted


def test_a_server_silent_past_the_server_timeout_ends_the_feed_with_feed_error() -> None:
    ws = ScriptedWebSocket("{}\x1e", '{"type":3,"invocationId":"1","result":null}\x1e')
    feed = feed_over(ws, Timeouts(keep_alive_interval_s=None, peer_timeout_s=0.0))
    messages = feed.messages()
    assert next(messages)[0] == Completion("1", result=None, has_result=True)
    feed.handle_timer()
    assert ws.aborted  # the receive loop, blocked in recv, wakes
    with pytest.raises(FeedError, match=r"peer_timeout \(Server timeout elapsed"):
        next(messages)
    assert feed.next_deadline() is None
    with pytest.raises(FeedError, match="cannot invoke"):
        feed.invoke("SubscribeAccounts", [])
