"""project-x-py 4.4.1 (pysignalr 1.3.3 underneath), the newest release: which of the review's
findings it fixed, which it still has, and what it added.

Paths: the SDK's under ``src/project_x_py/`` of its sdist; ``pysignalr/`` pysignalr 1.3.3.

Three mechanisms decide many rows. pysignalr ends its run() (the hub task) on any exception but a
closed connection, without calling the SDK's close handler, so the flag stays True until the SDK's
10 s Heartbeat trips on the dead socket (``pysignalr/transport/websocket.py:215-228``,
``realtime/health_monitoring.py:513-523``). Every hub open restores the subscriptions of *both*
hubs (``realtime/connection_management.py:469-472, 503-506`` ->
``realtime/health_monitoring.py:699-711``). Quotes and depth are coalesced per contract, latest
wins, drops counted in ``get_stats()`` (``realtime/event_handling.py:87, 514-542``): the driver
reports the quote count (quotes are snapshots, a newer one replaces an older one), but depth
increments dropped that way leave the order book wrong, and nothing tells the user which.
"""

from __future__ import annotations

from harness.run.findings import Claim

from .projectx_330 import (
    BANDWIDTH,
    BATCHING,
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
    REFRESH,
    REFRESH_HANG,
    REFUSED_SUB,
    REJECTED,
    RESET,
    SECOND_FAULT,
    SILENT_HUB,
    SOAK,
    SPLIT,
    STORAGE,
    THROWING,
    TOKENS,
)

ONE_DOWN_USER = "test_r17_one_hub_down_leaves_the_other_streaming[user-market]"
RESTORE_BOTH = (
    "every hub open schedules a restore of both hubs' subscriptions, and neither subscribe call checks "
    "what is already live: the hub that did not drop is subscribed again on its live connection"
)
RESTORE_BOTH_AT = (
    "realtime/connection_management.py:469-472",
    "realtime/connection_management.py:503-506",
    "realtime/health_monitoring.py:699-711",
)
DEPTH_COALESCED = (
    "depth increments are coalesced per contract like quotes (latest wins, the dropped ones only "
    "counted in get_stats()): increments are lost and the book built from them is wrong, with no gap "
    "event and no resync"
)
DEPTH_COALESCED_AT = ("realtime/event_handling.py:87", "realtime/event_handling.py:514-542")
URL_TOKEN = (
    "the JWT is still put in both hub URLs as ?access_token= (and, from the first handshake, in a header too)"
)
URL_TOKEN_AT = ("realtime/connection_management.py:143-145", "realtime/connection_management.py:165-167")
UNREPORTED_LOSS = (
    "what the server sent while the SDK took the dead link for a live one is lost, and nothing says so: "
    "no gap event, no sequence check"
)
TASK_ENDS = (
    "pysignalr ends the hub task on the error without calling the SDK's close handler, so the flag stays "
    "True until the next 10 s Heartbeat finds the socket dead"
)
TASK_ENDS_AT = ("pysignalr/transport/websocket.py:215-228", "realtime/health_monitoring.py:513-523")
BOTH_TORN_DOWN = (
    "when the Heartbeat finds the market hub's task dead it calls force_health_reconnect(), which "
    "disconnects and reconnects both hubs: the user hub, which the fault never touched, is torn down too"
)
BOTH_TORN_DOWN_AT = ("realtime/health_monitoring.py:513-523", "realtime/health_monitoring.py:674-684")
NO_INBOUND_TIMER = (
    "no liveness check answers within seconds: pysignalr's WebSocket ping times out after 20 s more, the "
    "stale-feed watchdog waits 30 s (market only), and the Heartbeat invocation expects no answer"
)
NO_INBOUND_TIMER_AT = ("realtime/async_hub.py:62-70", "realtime/health_monitoring.py:170-172",
                       "realtime/health_monitoring.py:477-488")  # fmt: skip

PX_441: tuple[Claim, ...] = (
    # R1
    Claim(
        "R1", "fixed",
        "the flags and ready events are now set on the event loop, after the handshake response: a rejected "
        "handshake raises out of pysignalr's run() before on_open, and the hub is never called connected",
        ("pysignalr/transport/websocket.py:320-326", "realtime/connection_management.py:469-470"),
        REJECTED, ("never_connected_while_rejected",),
    ),
    Claim(
        "R17", "reproduced",
        "the rejected handshake ends the hub task (ValueError out of run()) and nothing restarts it: the user "
        "hub stays down after the server accepts handshakes again",
        ("pysignalr/transport/websocket.py:323-326", "realtime/async_hub.py:121-127"),
        REJECTED, ("connected_at_end",),
    ),
    Claim(
        "R8", "reproduced",
        "connect() ignores the caller's bound and waits its own fixed 10 s for both ready events, even for a "
        "hub whose connection was refused at once (the hub task already ended)",
        ("realtime/connection_management.py:302-307",),
        CONNECT_DOWN, ("connect_failed_in_time",),
    ),
    # R2, R18: silence
    Claim("R2", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, HALF_OPEN, ("detected_half_open",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS, ("realtime/event_handling.py:392-400",), HALF_OPEN, ("no_silent_loss",)),
    Claim("R2", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, PARTITION, ("detected_partition",)),
    Claim("T4", "reproduced", "a partition is not noticed in time (R2)", NO_INBOUND_TIMER_AT, PARTITION,
          ("detected_partition",)),
    Claim("X5", "reproduced", DEPTH_COALESCED + ": here, when the partition releases the held data",
          DEPTH_COALESCED_AT, PARTITION, ("no_silent_loss",)),
    Claim("R11", "reproduced", URL_TOKEN, URL_TOKEN_AT, PARTITION, ("token_never_in_url",)),
    Claim(
        "R18", "reproduced",
        "the Heartbeat invocation every 10 s is fire and forget (no invocation id, 'latency' is the local "
        "write time), and pysignalr ignores server pings: a hub that stays up and silent is never suspected",
        ("realtime/health_monitoring.py:477-488", "pysignalr/client.py:287-288"),
        PINGS_STOP, ("silent_user_hub_noticed",),
    ),
    Claim("R18", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, SILENT_HUB, ("detected_half_open",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS, ("realtime/event_handling.py:392-400",), SILENT_HUB,
          ("no_silent_loss",)),
    # R3
    Claim(
        "R3", "reproduced",
        "update_jwt_token() is bounded now, but it answers from stale state: disconnect() never clears the "
        "ready events, so the reconnect 'fails' in milliseconds, the method returns False and rolls jwt_token "
        "back to the old token while the hubs come up on the new one",
        ("realtime/connection_management.py:397-404", "realtime/connection_management.py:659-746"),
        REFRESH, ("refresh_succeeded",),
    ),
    Claim("R13", "reproduced", RESTORE_BOTH + ": the refresh's own resubscribe and the restores of both opens "
          "subscribe each stream again", RESTORE_BOTH_AT, REFRESH, ("no_duplicate_subscriptions",)),
    Claim(
        "R3", "fixed",
        "update_jwt_token() runs under asyncio.timeout budgets and holds no lock across the reconnect: with "
        "no negotiate answered it returns (False) in about 10 s, and close() answers at once",
        ("realtime/connection_management.py:659-676",),
        REFRESH_HANG, ("refresh_answered_in_time", "no_deadlock"),
    ),
    Claim(
        "R3", "reproduced",
        "nothing in the SDK calls update_jwt_token(), and the token is fixed in the hub URL: after expiry the "
        "upgrade gets 401, the re-negotiate gets 401, AuthorizationError ends both hub tasks, and they stay down",
        ("realtime/connection_management.py:143-145", "pysignalr/transport/websocket.py:350-351"),
        EXPIRY, ("fresh_token_after", "recovered", "connected_at_end"),
    ),
    Claim("T6", "reproduced", "the stale token after expiry (R3)", ("realtime/connection_management.py:143-145",),
          EXPIRY, ("fresh_token_after",)),
    Claim("R11", "reproduced", URL_TOKEN, URL_TOKEN_AT, EXPIRY, ("token_never_in_url",)),
    # R4
    Claim(
        "R4", "reproduced",
        "the SDK's reconnect settings are dead (the builder's with_automatic_reconnect is a no-op) and "
        "pysignalr converts only a disconnected server into a retryable failure: a negotiate answered 503 "
        "ends the hub task for good, silently, and the hub never comes back",
        ("realtime/async_hub.py:156-162", "pysignalr/transport/websocket.py:185-189"),
        OUTAGE, ("recovered", "connected_at_end"),
    ),
    # R5, R6, R7, R9
    Claim(
        "R5", "fixed",
        "quotes and depth no longer queue: one task and one pending payload per contract (latest wins), so a "
        "burst does not flood the loop and tasks stay bounded here. Trades and user events still get one task "
        "each with no bound (a consumer slower than this one would pile them up; not run here)",
        ("realtime/event_handling.py:514-542", "realtime/event_handling.py:392-400"),
        BURST, ("tasks_bounded",),
    ),
    Claim("X5", "reproduced", DEPTH_COALESCED, DEPTH_COALESCED_AT, BURST, ("no_silent_loss",)),
    Claim("T1", "reproduced", "at a burst far past 1000 msg/s depth increments are dropped (X5)",
          DEPTH_COALESCED_AT, BURST, ("no_silent_loss",)),
    Claim(
        "R6", "reproduced",
        "no circuit breaker: a CircuitBreakerMixin ships but the client does not mix it in; every failing "
        "callback runs, and is logged with its traceback, on every event",
        ("realtime/core.py:110-116", "realtime/event_handling.py:257-264"),
        THROWING, ("callback_errors_between",),
    ),
    Claim("X5", "reproduced", DEPTH_COALESCED, DEPTH_COALESCED_AT, THROWING, ("no_silent_loss",)),
    Claim("X5", "reproduced", DEPTH_COALESCED + ": here, when a starved link catches up", DEPTH_COALESCED_AT,
          BANDWIDTH, ("no_silent_loss",)),
    Claim("T8", "passes", "callbacks registered and removed while messages flow are removed by identity",
          ("realtime/event_handling.py:183-184",), THROWING, ("callbacks_unregistered",)),
    Claim(
        "R7", "refuted",
        "callbacks are copied under the lock and run outside it, in their own tasks: a callback that "
        "subscribes, unsubscribes or registers callbacks cannot deadlock",
        ("realtime/event_handling.py:253-262",),
        REENTRANT, ("reentrant_calls_ran", "no_deadlock"),
    ),
    Claim(
        "R9", "reproduced",
        "unchanged: a defaultdict(list) of strong references, appended with no limit or duplicate check",
        ("realtime/core.py:365", "realtime/event_handling.py:183-184"),
        STORAGE, ("dropped_owners_released", "callback_storage_bounded"), observed="in-process",
    ),
    Claim("R9", "refuted", "in part: callbacks the user removes do go, so over a soak with callback churn the "
          "stored count returns to its floor", ("realtime/event_handling.py:224-226",), SOAK,
          ("callbacks_bounded",), observed="in-process"),
    # R8, R14
    Claim(
        "R8", "reproduced",
        "public calls return in bounded time now, but the negotiate has no read timeout: the hub task waits "
        "for that answer for ever, and connect() does not restart a task that is still running, so the hub "
        "never comes up once negotiates are answered again",
        ("pysignalr/transport/websocket.py:341-345", "realtime/async_hub.py:121-123"),
        NEGOTIATE_HANG, ("connected_once_negotiates_answer",),
    ),
    Claim(
        "R8", "reproduced",
        "the SignalR handshake is a bare recv() with no timeout: a handshake that never comes holds the hub "
        "task for ever, and nothing retries",
        ("pysignalr/transport/websocket.py:323",),
        HANDSHAKE_HANG, ("attempts_bounded_by_connect_timeout", "recovered", "connected_at_end"),
    ),
    Claim("R14", "refuted", "connect() waits with asyncio.wait(..., timeout=10.0) and re-reads the flags",
          ("realtime/connection_management.py:302-337",), CONNECT_DROP, ("connect_answered_in_time",)),
    # R10, R16, T3
    Claim("R10", "refuted", "stats has fixed keys and the latency buffers are deque(maxlen=1000): the heap "
          "stays flat over the soak", ("realtime/core.py:368-373", "realtime/health_monitoring.py:155-156"),
          SOAK, ("heap_growth_bounded",), observed="in-process"),
    Claim("R16", "refuted", "the task count returns to its floor over the soak", ("realtime/event_handling.py:445-476",),
          SOAK, ("tasks_bounded",), observed="in-process"),
    Claim("T3", "passes", "memory stays bounded at 1000 msg/s with callback churn (a soak, not 24 h)",
          ("realtime/core.py:365-373",), SOAK, ("heap_growth_bounded", "stream_flowing"), observed="in-process"),
    # R11
    Claim(
        "R11", "reproduced",
        URL_TOKEN + "; pysignalr logs every negotiate URL, token included, at INFO",
        (*URL_TOKEN_AT, "pysignalr/transport/websocket.py:335"),
        TOKENS, ("token_never_in_url", "token_never_in_logs"), observed="in-process",
    ),
    # R12
    Claim(
        "R12", "reproduced",
        "pysignalr sends invocations without an id, so subscribe_market_data() returns True on the local write "
        "and a refusal never comes back; an error Completion would still be dropped by its class name",
        ("pysignalr/client.py:227-232", "realtime/connection_management.py:550-555"),
        REFUSED_SUB, ("refusal_reported",),
    ),
    Claim("R12", "reproduced", "a Close with an error raises ServerError out of run(): " + TASK_ENDS
          + "; allowReconnect is never read", ("pysignalr/client.py:436-446", *TASK_ENDS_AT),
          CLOSE, ("detected_server_close",)),
    Claim("R12", "reproduced", "a Close refusing reconnect ends the hub task like any Close with an error ("
          + TASK_ENDS + "); the Heartbeat's health reconnect then connects it again: pysignalr parses "
          "allowReconnect and nothing reads it", ("pysignalr/protocol/json.py:214", "pysignalr/client.py:436-446",
          *BOTH_TORN_DOWN_AT), CLOSE_REFUSING, ("market_stayed_away",)),
    Claim("R17", "reproduced", BOTH_TORN_DOWN, BOTH_TORN_DOWN_AT, CLOSE_REFUSING, ("user_untouched",)),
    Claim("R12", "reproduced", "the hub going away sends a Close with an error: " + TASK_ENDS,
          ("pysignalr/client.py:436-446", *TASK_ENDS_AT), HUB_DOWN, ("detected_server:hub_down",)),
    Claim("R17", "reproduced", BOTH_TORN_DOWN, BOTH_TORN_DOWN_AT, HUB_DOWN, ("user_untouched",)),
    # R13
    Claim("R13", "fixed", "market subscribe and unsubscribe now hold a lock: racing calls reach the wire in order",
          ("realtime/subscriptions.py:275", "realtime/subscriptions.py:453"),
          RACES, ("no_duplicate_subscriptions", "server_set_equals_intended")),
    Claim("T7", "passes", "racing subscribe and unsubscribe calls converge", ("realtime/subscriptions.py:275",),
          RACES, ("server_set_equals_intended",)),
    Claim("R13", "reproduced", RESTORE_BOTH, RESTORE_BOTH_AT, RACES_FAULTS, ("no_duplicate_subscriptions",)),
    Claim("T9", "reproduced", "reconnects during subscription changes duplicate subscriptions (R13)",
          RESTORE_BOTH_AT, RACES_FAULTS, ("no_duplicate_subscriptions",)),
    Claim("R13", "reproduced", RESTORE_BOTH, RESTORE_BOTH_AT, CUT, ("no_duplicate_subscriptions",)),
    Claim("R13", "reproduced", RESTORE_BOTH, RESTORE_BOTH_AT, ONE_DOWN, ("no_duplicate_subscriptions",)),
    Claim("T5", "reproduced", "the live hub's subscriptions are sent again when the other reconnects (R13)",
          RESTORE_BOTH_AT, ONE_DOWN, ("no_duplicate_subscriptions",)),
    Claim("R13", "reproduced", RESTORE_BOTH, RESTORE_BOTH_AT, ONE_DOWN_USER, ("no_duplicate_subscriptions",)),
    # R15
    Claim(
        "R15", "reproduced",
        "with enable_batching() on, trades are handed to the batch handler as args[0], the contract id "
        "without its payload, and quotes and depth go through coalescing first: the callbacks get no usable "
        "market data, and nothing says so",
        ("realtime/event_handling.py:392-398", "realtime/event_handling.py:565-575"),
        BATCHING, ("no_silent_loss",),
    ),
    # R17
    Claim(
        "R17", "fixed",
        "each hub reconnects on its own and its subscriptions are restored on every open: after a reset the "
        "market streams again",
        RESTORE_BOTH_AT, RESET, ("recovered",),
    ),
    Claim("T2", "passes", "after a reset the market hub is back and streaming", RESTORE_BOTH_AT, RESET,
          ("recovered", "no_silent_loss")),
    Claim("R17", "fixed", "after the hub closes and comes back, its streams resume (restored on open)",
          RESTORE_BOTH_AT, CLOSE_ONCE, ("no_silent_stall",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS, ("realtime/event_handling.py:392-400",), SECOND_FAULT,
          ("no_silent_loss",)),
    # Beyond the review
    Claim("X1", "reproduced", "no sequence check: a message the server sends twice reaches the callbacks twice",
          ("realtime/event_handling.py:392-400",), DUPLICATES, ("no_event_delivered_twice",)),
    Claim("R17", "reproduced", BOTH_TORN_DOWN, BOTH_TORN_DOWN_AT, MALFORMED, ("user_untouched",)),
    Claim("X3", "reproduced", "a malformed record raises out of pysignalr's run(): " + TASK_ENDS,
          ("pysignalr/protocol/json.py:118-138", *TASK_ENDS_AT), MALFORMED, ("detected_server:malformed_message",)),
    Claim("X4", "reproduced", "a record split across two WebSocket messages raises JSONDecodeError out of "
          "pysignalr's run(): both hub tasks end, the socket closes, and the client goes on saying connected "
          "while no stream message arrives again",
          ("pysignalr/transport/websocket.py:215-228",), SPLIT, ("no_silent_stall",)),
)  # fmt: skip
