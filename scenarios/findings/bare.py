"""Bare SignalR libraries (no ProjectX layer), driven hub by hub with their own automatic reconnect
(``harness/clients/process_adapters.py``). Nothing restores subscriptions after a reconnect and nothing
keeps subscription state: with a bare library both are the application's job, and these tables
show what happens when nobody does them.

Paths: ``pysignalr/`` pysignalr 1.3.3; ``sc:`` signalrcore 0.9.5 or 1.0.2 (``signalrcore/``).
"""

from __future__ import annotations

from harness.run.findings import Claim

from .projectx_330 import (
    BURST,
    CLOSE,
    CLOSE_ONCE,
    CLOSE_REFUSING,
    CONNECT_DOWN,
    CONNECT_DROP,
    CUT,
    DUPLICATES,
    EXPIRY,
    HALF_OPEN,
    HANDSHAKE_HANG,
    HERD,
    HUB_DOWN,
    MALFORMED,
    NEGOTIATE_HANG,
    ONE_DOWN,
    OUTAGE,
    PARTITION,
    PINGS_STOP,
    RACES,
    RACES_FAULTS,
    REENTRANT,
    REJECTED,
    RESET,
    SECOND_FAULT,
    SILENT_HUB,
    SPLIT,
    THROWING,
    TOKENS,
)

Mechanism = tuple[str, tuple[str, ...]]
ONE_DOWN_USER = "test_r17_one_hub_down_leaves_the_other_streaming[user-market]"

NO_RESTORE: Mechanism = (
    "a bare library restores no subscription after its own reconnect: the hub is back, connected, and silent",
    (),
)
NO_STATE: Mechanism = (
    "a bare library keeps no subscription state: every subscribe the application sends reaches the server, "
    "repeats and racing calls included",
    (),
)
LOSS: Mechanism = (
    "messages in flight when the link died are lost and nothing says so: no sequence check",
    (),
)
TWICE: Mechanism = ("no sequence check: a message the server sends twice reaches the handlers twice", ())
BACKLOG: Mechanism = (
    "no bound and no overflow policy: a handler slower than the feed runs one message at a time while the "
    "rest wait in the socket and the library, so when the run ends most of the burst was never delivered",
    (),
)
NO_GIVE_UP: Mechanism = ("no way to give up after N attempts: told to stop after 3, it reconnects", ())

# pysignalr 1.3.3
P_RUN_ENDS: Mechanism = (
    "any exception but a closed connection ends pysignalr's run() for good (a Close with an error, a bad "
    "record, a refused or failed negotiate, a handler that raises): the hub is gone and never comes back",
    (
        "pysignalr/transport/websocket.py:152-167",
        "pysignalr/transport/websocket.py:215-228",
        "pysignalr/client.py:436-446",
    ),
)
P_SILENCE: Mechanism = (
    "pysignalr ignores the server's pings and has no server timeout: only its WebSocket ping (every 10 s, "
    "then 20 s for the pong) can notice a silent link",
    ("pysignalr/client.py:287-288",),
)
P_URL: Mechanism = (
    "pysignalr does not call its access-token factory for the first negotiate (the Gateway answers 401): its "
    "users put the token in the URL, which every reconnect presents again",
    (),
)
P_HANG: Mechanism = (
    "the negotiate has no read timeout: the attempt that met the unanswered negotiate waits for ever, and the "
    "hub never comes up once negotiates are answered",
    ("pysignalr/transport/websocket.py:341-345",),
)
P_HANDSHAKE: Mechanism = (
    "the handshake is a bare recv() with no timeout: a handshake that never comes holds the attempt for ever",
    ("pysignalr/transport/websocket.py:323",),
)

# signalrcore (both versions)
S_SLOW: Mechanism = (
    "signalrcore notices a dead or silent socket only when a keep-alive send fails (a second here), and "
    "nothing measures silence from the server",
    ("sc:transport/websockets/reconnection.py",),
)
S_CLOSE: Mechanism = (
    "a Close message is acted on late and retried like any drop, whatever allowReconnect says: no failed "
    "state, no reason",
    ("sc:hub/base_hub_connection.py",),
)
S_STALE: Mechanism = (
    "the access-token factory returns the token it was given: reconnects after expiry present the stale one "
    "and are refused",
    (),
)
S_HANDSHAKE: Mechanism = (
    "a handshake answered with an error is taken for an open connection (on_open fires), and a handshake that "
    "never comes is never timed out",
    ("sc:transport/websockets/websocket_transport.py",),
)
S_STARTUP: Mechanism = (
    "a connection refused at start is not retried: the keep-alive checker, which alone reconnects, starts "
    "only after a handshake",
    ("sc:transport/websockets/websocket_transport.py",),
)
S_HAMMER: Mechanism = (
    "no back-off and no jitter: retries come on the checker's 1 s tick, then, once several deferred "
    "reconnect threads pile up, many per second; clients that started together retry together",
    ("sc:transport/websockets/reconnection.py", "sc:transport/websockets/websocket_transport.py"),
)
S_NO_BREAKER: Mechanism = ("no circuit breaker: a handler that raises runs on every message", ())
S_HANG: Mechanism = ("the negotiate has no timeout (requests.post): the hub never comes up once it is answered",
                     ("sc:transport/websockets/websocket_transport.py",))  # fmt: skip
S_MALFORMED: Mechanism = ("a malformed record is noticed seconds later, not at once", ())
S_SPLIT: Mechanism = ("a record split across two WebSocket messages is dropped without a word", ())


def claims(scenario: str, *entries: tuple[str, Mechanism, tuple[str, ...]]) -> tuple[Claim, ...]:
    """The reproduced claims of one scenario: (id, mechanism, the verdicts it makes fail)."""
    return tuple(Claim(i, "reproduced", m[0], m[1], scenario, verdicts) for i, m, verdicts in entries)


PYSIGNALR: tuple[Claim, ...] = (
    *claims(CUT, ("R17", NO_RESTORE, ("recovered",))),
    *claims(MALFORMED, ("X3", P_RUN_ENDS, ("recovered", "connected_at_end"))),
    *claims(SECOND_FAULT, ("R17", NO_RESTORE, ("recovered",)), ("X2", LOSS, ("no_silent_loss",))),
    *claims(CLOSE_ONCE, ("R17", NO_RESTORE, ("no_silent_stall",))),
    *claims(DUPLICATES, ("X1", TWICE, ("no_event_delivered_twice",))),
    *claims(PARTITION, ("R2", P_SILENCE, ("detected_partition",)), ("R11", P_URL, ("token_never_in_url",))),
    *claims(TOKENS, ("R11", P_URL, ("token_never_in_url",))),
    *claims(CLOSE, ("R12", P_RUN_ENDS, ("recovered", "connected_at_end"))),
    *claims(RACES, ("R13", NO_STATE, ("no_duplicate_subscriptions",))),
    *claims(
        RACES_FAULTS,
        ("R13", NO_STATE, ("no_duplicate_subscriptions",)),
        ("R17", NO_RESTORE, ("server_set_equals_intended",)),
        ("R4", P_RUN_ENDS, ("connected_at_end",)),
    ),
    *claims(ONE_DOWN, ("R17", NO_RESTORE, ("recovered",))),
    *claims(HUB_DOWN, ("R12", P_RUN_ENDS, ("recovered", "connected_at_end"))),
    *claims(
        SILENT_HUB,
        ("R18", P_SILENCE, ("detected_half_open",)),
        ("R17", NO_RESTORE, ("recovered",)),
        ("X2", LOSS, ("no_silent_loss",)),
    ),
    *claims(REJECTED, ("R4", P_RUN_ENDS, ("connected_at_end",))),
    *claims(
        CONNECT_DOWN,
        (
            "R4",
            P_RUN_ENDS,
            (
                "state_told_the_truth",
                "never_connected_while_down",
                "connect_with_both_hubs_up_tells_the_truth",
                "connected_at_end",
            ),
        ),
    ),
    *claims(
        HALF_OPEN,
        ("R2", P_SILENCE, ("detected_half_open",)),
        ("R17", NO_RESTORE, ("recovered",)),
        ("X2", LOSS, ("no_silent_loss",)),
    ),
    *claims(PINGS_STOP, ("R18", P_SILENCE, ("silent_user_hub_noticed",))),
    *claims(
        EXPIRY,
        ("R3", P_URL, ("fresh_token_after", "recovered", "connected_at_end")),
        ("R11", P_URL, ("token_never_in_url",)),
    ),
    *claims(HERD, ("R4", NO_GIVE_UP, ("quitter_failed_visibly",))),
    *claims(OUTAGE, ("R4", P_RUN_ENDS, ("recovered", "connected_at_end"))),
    *claims(BURST, ("R5", BACKLOG, ("no_silent_loss",))),
    *claims(THROWING, ("R6", P_RUN_ENDS, ("callback_errors_between", "connected_at_end"))),
    *claims(REENTRANT, ("R4", P_RUN_ENDS, ("connected_at_end",))),
    *claims(NEGOTIATE_HANG, ("R8", P_HANG, ("connected_once_negotiates_answer",))),
    *claims(
        HANDSHAKE_HANG,
        ("R8", P_HANDSHAKE, ("attempts_bounded_by_connect_timeout", "recovered", "connected_at_end")),
    ),
    *claims(SPLIT, ("X4", P_RUN_ENDS, ("no_silent_loss", "market_untouched"))),
    *claims(RESET, ("R4", P_RUN_ENDS, ("recovered", "connected_at_end"))),
)

SIGNALRCORE_095: tuple[Claim, ...] = (
    *claims(CUT, ("R17", NO_RESTORE, ("recovered",))),
    *claims(MALFORMED, ("X3", S_MALFORMED, ("detected_server:malformed_message",))),
    *claims(SECOND_FAULT, ("R17", NO_RESTORE, ("recovered",)), ("X2", LOSS, ("no_silent_loss",))),
    *claims(CLOSE_ONCE, ("R17", NO_RESTORE, ("no_silent_stall",))),
    *claims(DUPLICATES, ("X1", TWICE, ("no_event_delivered_twice",))),
    *claims(PARTITION, ("R2", S_SLOW, ("detected_partition",))),
    *claims(CLOSE, ("R12", S_CLOSE, ("detected_server_close",)), ("R17", NO_RESTORE, ("recovered",))),
    *claims(CLOSE_REFUSING, ("R12", S_CLOSE, ("market_failed_visibly", "market_stayed_away"))),
    *claims(RACES, ("R13", NO_STATE, ("no_duplicate_subscriptions",))),
    *claims(RACES_FAULTS, ("R13", NO_STATE, ("no_duplicate_subscriptions",))),
    *claims(ONE_DOWN, ("R17", NO_RESTORE, ("recovered",))),
    *claims(ONE_DOWN_USER, ("R17", S_STARTUP, ("recovered", "connected_at_end"))),
    *claims(HUB_DOWN, ("R12", S_CLOSE, ("detected_server:hub_down",)), ("R17", NO_RESTORE, ("recovered",))),
    *claims(
        SILENT_HUB,
        ("R18", S_SLOW, ("detected_half_open",)),
        ("R17", NO_RESTORE, ("recovered",)),
        ("X2", LOSS, ("no_silent_loss",)),
    ),
    *claims(
        REJECTED,
        ("R1", S_HANDSHAKE, ("never_connected_while_rejected",)),
        ("R17", S_STARTUP, ("connected_at_end",)),
    ),
    *claims(
        CONNECT_DOWN,
        (
            "R17",
            S_STARTUP,
            ("never_connected_while_down", "connect_with_both_hubs_up_tells_the_truth", "connected_at_end"),
        ),
    ),
    *claims(
        HALF_OPEN,
        ("R2", S_SLOW, ("detected_half_open",)),
        ("R17", NO_RESTORE, ("recovered",)),
        ("X2", LOSS, ("no_silent_loss",)),
    ),
    *claims(PINGS_STOP, ("R18", S_SLOW, ("silent_user_hub_noticed",))),
    *claims(EXPIRY, ("R3", S_STALE, ("fresh_token_after", "recovered", "connected_at_end"))),
    *claims(HERD, ("R4", S_HAMMER, ("herd_spread_out",)), ("R4", NO_GIVE_UP, ("quitter_failed_visibly",))),
    *claims(OUTAGE, ("R4", S_HAMMER, ("retries_back_off",)), ("R17", NO_RESTORE, ("recovered",))),
    *claims(BURST, ("R5", BACKLOG, ("no_silent_loss",))),
    *claims(THROWING, ("R6", S_NO_BREAKER, ("callback_errors_between",))),
    *claims(NEGOTIATE_HANG, ("R8", S_HANG, ("connected_once_negotiates_answer",))),
    *claims(
        HANDSHAKE_HANG,
        ("R8", S_HANDSHAKE, ("attempts_bounded_by_connect_timeout", "recovered", "connected_at_end")),
    ),
    *claims(SPLIT, ("X4", S_SPLIT, ("no_silent_loss",))),
    *claims(RESET, ("R17", NO_RESTORE, ("recovered",))),
)

# signalrcore 1.0.2 rewrote the transport: its receive thread dies on a handler's exception or a bad
# record, a reconnect is started only by a failed send, and the hub it restarts often stays in
# "reconnecting" (its on_reconnect fires, its on_open does not).
N_DIES: Mechanism = (
    "signalrcore 1.0.2's receive thread dies on what it cannot handle (a Close, a bad record, a handler that "
    "raises, a reset), and the hub it then restarts does not come back: still reconnecting at the end",
    ("sc:transport/websockets/websocket_client.py", "sc:transport/websockets/websocket_transport.py"),
)

SIGNALRCORE_102: tuple[Claim, ...] = (
    *claims(
        CUT,
        ("R4", N_DIES, ("recovered", "reconnects_between", "connected_at_end")),
    ),
    *claims(MALFORMED, ("X3", N_DIES, ("recovered", "no_silent_loss", "connected_at_end"))),
    *claims(
        SECOND_FAULT,
        ("R4", N_DIES, ("recovered", "reconnects_between", "connected_at_end")),
        ("X2", LOSS, ("no_silent_loss",)),
    ),
    *claims(CLOSE_ONCE, ("R12", N_DIES, ("connected_at_end",))),
    *claims(DUPLICATES, ("X1", TWICE, ("no_event_delivered_twice",))),
    *claims(PARTITION, ("R2", S_SLOW, ("detected_partition",))),
    *claims(CLOSE, ("R12", N_DIES, ("recovered", "connected_at_end"))),
    *claims(CLOSE_REFUSING, ("R12", S_CLOSE, ("market_failed_visibly", "market_stayed_away"))),
    *claims(RACES, ("R13", NO_STATE, ("no_duplicate_subscriptions",))),
    *claims(
        RACES_FAULTS,
        ("R13", NO_STATE, ("no_duplicate_subscriptions",)),
        ("R17", NO_RESTORE, ("server_set_equals_intended",)),
    ),
    *claims(CONNECT_DROP, ("R4", N_DIES, ("connected_at_end",))),
    *claims(ONE_DOWN, ("R2", S_SLOW, ("detected_refuse",))),
    *claims(ONE_DOWN_USER, ("R2", S_SLOW, ("detected_refuse",))),
    *claims(HUB_DOWN, ("R12", S_CLOSE, ("detected_server:hub_down",))),
    *claims(
        SILENT_HUB,
        ("R18", S_SLOW, ("detected_half_open",)),
        ("R4", N_DIES, ("recovered", "connected_at_end")),
        ("X2", LOSS, ("no_silent_loss",)),
    ),
    *claims(REJECTED, ("R17", S_STARTUP, ("connected_at_end",))),
    *claims(
        CONNECT_DOWN,
        (
            "R17",
            S_STARTUP,
            ("never_connected_while_down", "connect_with_both_hubs_up_tells_the_truth", "connected_at_end"),
        ),
    ),
    *claims(
        HALF_OPEN,
        ("R2", S_SLOW, ("detected_half_open",)),
        ("R4", N_DIES, ("recovered", "connected_at_end")),
        ("X2", LOSS, ("no_silent_loss",)),
    ),
    *claims(PINGS_STOP, ("R18", S_SLOW, ("silent_user_hub_noticed",))),
    *claims(EXPIRY, ("R3", S_STALE, ("fresh_token_after",))),
    *claims(
        HERD,
        ("R4", N_DIES, ("herd_spread_out", "recovered")),
        ("R4", NO_GIVE_UP, ("quitter_failed_visibly",)),
    ),
    *claims(BURST, ("R5", BACKLOG, ("no_silent_loss",))),
    *claims(THROWING, ("R6", N_DIES, ("no_silent_loss", "callback_errors_between", "connected_at_end"))),
    *claims(NEGOTIATE_HANG, ("R8", S_HANG, ("connected_once_negotiates_answer",))),
    *claims(HANDSHAKE_HANG, ("R8", S_HANDSHAKE, ("attempts_bounded_by_connect_timeout",))),
    *claims(SPLIT, ("X4", N_DIES, ("no_silent_loss", "market_untouched"))),
    *claims(RESET, ("R2", S_SLOW, ("detected_reset",))),
)
