"""A client core and a server core joined in memory, driven by Hypothesis (h11's ConnectionPair idea).

The model: bytes travel in two pipes and are delivered in arbitrary splits at arbitrary times;
time advances in steps; either side may send or close. The invariants say what a correct pair
shows: every message arrives once, intact and in order; a side times out exactly when it has
received nothing for ``peer_timeout_s``; a Close carries its error and allowReconnect across.
"""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from signalr_protocol import (
    JSON,
    MESSAGEPACK,
    Close,
    Closed,
    CloseReason,
    Connection,
    HandshakeRequested,
    HubMessage,
    HubProtocol,
    Ping,
    Role,
    State,
    Timeouts,
)

from .strategies import messages

TIMEOUTS = Timeouts(keep_alive_interval_s=1.0, peer_timeout_s=3.0, handshake_timeout_s=2.0)
payload_messages = messages().filter(lambda m: not isinstance(m, Close | Ping))


class Side:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sent: list[HubMessage] = []
        self.received: list[HubMessage] = []
        self.closed: Closed | None = None
        self.last_delivery = 0.0
        self.closed_at: float | None = None


class ConnectionPair(RuleBasedStateMachine):
    @initialize(protocol=st.sampled_from([JSON, MESSAGEPACK]))
    def start(self, protocol: HubProtocol) -> None:
        self.now = 0.0
        self.client = Side(Connection(Role.CLIENT, 0.0, timeouts=TIMEOUTS))
        self.server = Side(Connection(Role.SERVER, 0.0, timeouts=TIMEOUTS))
        self.pipes = {id(self.client): b"", id(self.server): b""}  # bytes on their way TO that side
        self.healthy = True  # every advance of time so far let all bytes in flight arrive first
        self.client.conn.start_handshake(protocol, 1, 0.0)
        self._pump()

    def _other(self, side: Side) -> Side:
        return self.server if side is self.client else self.client

    def _pump(self) -> None:
        """The driver's job: act on events and move output into the pipes until both sides are quiet."""
        progressed = True
        while progressed:
            progressed = False
            for side in (self.client, self.server):
                events = side.conn.events_received()
                out = b"".join(side.conn.data_to_send())
                progressed = progressed or bool(events or out)
                self.pipes[id(self._other(side))] += out
                for event in events:
                    if isinstance(event, HandshakeRequested):
                        side.conn.accept_handshake(self.now)
                    elif isinstance(event, Closed):
                        assert side.closed is None, "Closed must be reported exactly once"
                        side.closed, side.closed_at = event, self.now
                    elif isinstance(event, Close | Ping) or not hasattr(event, "type"):
                        continue
                    else:
                        side.received.append(event)  # type: ignore[arg-type]

    def _deliver(self, side: Side, cut: int) -> None:
        pipe = self.pipes[id(side)]
        cut = min(cut, len(pipe))
        chunk, self.pipes[id(side)] = pipe[:cut], pipe[cut:]
        if chunk and side.conn.state is not State.CLOSED:
            side.last_delivery = self.now
        side.conn.receive_data(chunk, self.now)
        self._pump()

    @rule(cut=st.integers(min_value=1, max_value=400))
    def deliver_to_server(self, cut: int) -> None:
        self._deliver(self.server, cut)

    @rule(cut=st.integers(min_value=1, max_value=400))
    def deliver_to_client(self, cut: int) -> None:
        self._deliver(self.client, cut)

    @precondition(lambda self: self.client.conn.state is State.OPEN)
    @rule(message=payload_messages)
    def client_sends(self, message: HubMessage) -> None:
        self.client.conn.send(message, self.now)
        self.client.sent.append(message)
        self._pump()

    @precondition(lambda self: self.server.conn.state is State.OPEN)
    @rule(message=payload_messages)
    def server_sends(self, message: HubMessage) -> None:
        self.server.conn.send(message, self.now)
        self.server.sent.append(message)
        self._pump()

    @rule(dt=st.floats(min_value=0.0, max_value=2.5), deliver_first=st.booleans())
    def advance_time(self, dt: float, deliver_first: bool) -> None:
        self.healthy = self.healthy and deliver_first
        if deliver_first:  # a healthy network: everything in flight arrives before time moves
            self._deliver(self.server, 10**9)
            self._deliver(self.client, 10**9)
        target = self.now + dt
        for _ in range(100):  # a driver wakes at each deadline the cores report, as a real one does
            deadlines = [d for s in (self.client, self.server) if (d := s.conn.next_deadline()) is not None]
            if not deadlines or min(deadlines) > target:
                break
            self.now = max(self.now, min(deadlines))
            for side in (self.client, self.server):
                side.conn.handle_timer(self.now)
                deadline = side.conn.next_deadline()
                assert deadline is None or deadline > self.now, "a handled deadline must move forward"
            self._pump()
            if deliver_first:  # a healthy network also carries what the timers sent (pings) at once
                self._deliver(self.server, 10**9)
                self._deliver(self.client, 10**9)
        else:
            raise AssertionError("timers fired 100 times within one step")
        self.now = target

    @rule(error=st.none() | st.text(max_size=10), allow_reconnect=st.booleans(), by_server=st.booleans())
    def close(self, error: str | None, allow_reconnect: bool, by_server: bool) -> None:
        side = self.server if by_server else self.client
        if side.conn.state is State.OPEN:
            side.conn.close(self.now, error=error, allow_reconnect=allow_reconnect)
            self._pump()

    @invariant()
    def messages_arrive_once_intact_and_in_order(self) -> None:
        for side in (self.client, self.server):
            other = self._other(side)
            assert other.received == side.sent[: len(other.received)]

    @invariant()
    def a_side_times_out_exactly_when_it_heard_nothing_for_the_timeout(self) -> None:
        for side in (self.client, self.server):
            if side.closed is not None and side.closed.reason is CloseReason.PEER_TIMEOUT:
                assert side.closed_at is not None
                assert side.closed_at >= side.last_delivery + TIMEOUTS.peer_timeout_s
            if side.conn.state is State.OPEN:
                assert self.now < side.last_delivery + TIMEOUTS.peer_timeout_s

    @invariant()
    def a_received_close_matches_what_the_peer_sent(self) -> None:
        for side in (self.client, self.server):
            if side.closed is not None and side.closed.reason is CloseReason.PEER_CLOSED:
                other = self._other(side).closed
                assert other is not None
                assert other.reason in (
                    CloseReason.LOCAL,
                    CloseReason.PEER_TIMEOUT,
                    CloseReason.PROTOCOL_ERROR,
                )
                if other.reason is CloseReason.LOCAL:
                    assert (side.closed.error, side.closed.allow_reconnect) == (
                        other.error,
                        other.allow_reconnect,
                    )

    @invariant()
    def keep_alive_pings_keep_a_healthy_pair_from_timing_out(self) -> None:
        # Time jumps by at most 2.5 s and the timeout is 3 s: if every jump let bytes in flight
        # arrive at once (before time moves and as the timers send them), the pings each side
        # sends must keep the other from ever timing out.
        if self.healthy:
            for side in (self.client, self.server):
                assert side.closed is None or side.closed.reason not in (
                    CloseReason.PEER_TIMEOUT,
                    CloseReason.HANDSHAKE_TIMEOUT,
                )


ConnectionPair.TestCase.settings = settings(max_examples=400, stateful_step_count=40, deadline=None)
test_connection_pair = ConnectionPair.TestCase


def test_pings_sent_during_a_healthy_jump_reach_the_peer_before_it_times_out() -> None:
    # The case CI found: the handshake arrives at t=0, then nothing until a jump that ends on
    # the peer timeout. The pings sent at t=1 and t=2 must arrive then, not after the jump.
    pair = ConnectionPair()
    pair.start(protocol=JSON)
    pair.deliver_to_server(cut=1)
    pair.advance_time(dt=0.5, deliver_first=True)
    pair.advance_time(dt=2.5, deliver_first=True)
    pair.keep_alive_pings_keep_a_healthy_pair_from_timing_out()
    pair.a_side_times_out_exactly_when_it_heard_nothing_for_the_timeout()
    assert pair.client.conn.state is State.OPEN
    assert pair.server.conn.state is State.OPEN
