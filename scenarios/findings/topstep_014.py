"""topstep-sdk 0.1.4 (PyPI, unofficial TopstepX SDK): its own minimal SignalR client on websockets 17.4,
no negotiate, one ``SignalRConnection`` per hub. What the review's ids come to for it, claim by claim.

Paths: the wheel's ``topstep_sdk/`` (identical to the sdist's ``src/topstep_sdk/``). Each claim was
read there, then seen in a run (the catalogue with ``--client topstep-sdk-0.1.4``).

Four mechanisms decide most rows. Each hub runs one supervisor task that reconnects forever after
``min(30, 2**attempt)`` s, no jitter, and resets ``attempt`` only when a connection ended without an
exception; every failure is swallowed without a log or a reason (``realtime/_signalr.py:130-150``).
Nothing watches inbound silence: server pings are ignored and websockets' own keep-alive runs at its
defaults, a ping every 20 s with 20 s to answer (``realtime/_signalr.py:155, 219-220``). Handlers are
awaited inline in the hub's reader (``realtime/_signalr.py:166-167``, ``realtime/market_hub.py:23-36``),
one call per entry of a trade or depth message. ``start(timeout=T)`` that runs out stops its hub before
it raises (``realtime/_signalr.py:86-91``): nothing retries it.
"""

from __future__ import annotations

from harness.run.findings import Claim

from .projectx_330 import (
    BATCHING,
    BURST,
    CLOSE,
    CLOSE_REFUSING,
    CONNECT_DOWN,
    CONNECT_DROP,
    DUPLICATES,
    EXPIRY,
    HALF_OPEN,
    HANDSHAKE_HANG,
    HERD,
    HUB_DOWN,
    MALFORMED,
    ONE_DOWN,
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
    THROWING,
    TOKENS,
)
from .projectx_441 import ONE_DOWN_USER

NO_INBOUND_TIMER = (
    "nothing times inbound silence: the SDK ignores the server's pings and passes websockets no keep-alive "
    "settings, so a silent link is noticed only by websockets' default ping (every 20 s, 20 s to answer)"
)
NO_INBOUND_TIMER_AT = ("realtime/_signalr.py:155", "realtime/_signalr.py:219-220")
UNREPORTED_LOSS = (
    "what the server sent while the SDK took the dead link for a live one is lost, and nothing says so: no "
    "gap event, and its handlers get the payload only, never a sequence number"
)
UNREPORTED_LOSS_AT = ("realtime/_signalr.py:208-218", "realtime/market_hub.py:127-137")
URL_TOKEN = (
    "the JWT is put in every hub URL as ?access_token= (no negotiate, no header), on every (re)connect"
)
URL_TOKEN_AT = ("realtime/_signalr.py:114-121", "realtime/_signalr.py:152-155")
RESEND = (
    "every subscribe_*() call sends its Subscribe while connected, whether or not the stream is already in "
    "its set, and there is no unsubscribe: a stream asked for twice is subscribed twice on the same connection"
)
RESEND_AT = ("realtime/market_hub.py:101-117",)
START_GIVES_UP = (
    "a start() whose timeout runs out stops its hub before raising RealtimeError: the supervisor is "
    "cancelled, nothing retries, and the hub stays down after the server is back until the user calls "
    "start() again"
)
START_GIVES_UP_AT = ("realtime/_signalr.py:86-91", "realtime/_signalr.py:98-110")
OWN_CONNECTION = (
    "each hub has its own SignalRConnection and supervisor; the dropped one reconnects alone and resends "
    "its whole subscription set on open, the other is never touched"
)
OWN_CONNECTION_AT = ("realtime/_signalr.py:130-150", "realtime/market_hub.py:119-125", "client.py:97-107")

TOPSTEP_014: tuple[Claim, ...] = (
    # R1: the connected flag
    Claim(
        "R1", "refuted",
        "the connected event is set in the hub's own task only after the handshake reply parsed without an "
        "error; a rejected handshake raises first, so the hub is never called connected",
        ("realtime/_signalr.py:158-160", "realtime/_signalr.py:181-185"),
        REJECTED, ("never_connected_while_rejected",),
    ),
    Claim(
        "R1", "refuted",
        "start() waits on that event under asyncio.timeout and raises when it runs out: connect() fails in "
        "time while the hub is down and succeeds at once when both are up",
        ("realtime/_signalr.py:79-91",),
        CONNECT_DOWN, ("connect_failed_in_time", "never_connected_while_down",
                       "connect_with_both_hubs_up_tells_the_truth"),
    ),
    Claim("R17", "reproduced", START_GIVES_UP + ": the market hub is disconnected, not connecting, while the "
          "server still refuses it", START_GIVES_UP_AT, CONNECT_DOWN, ("state_told_the_truth",)),
    Claim("R17", "reproduced", START_GIVES_UP + ": the user hub, whose handshakes were rejected for 3 s, is "
          "never retried", START_GIVES_UP_AT, REJECTED, ("connected_at_end",)),
    # R2, R18, T4, X2: silence
    Claim("R2", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, HALF_OPEN, ("detected_half_open",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS, UNREPORTED_LOSS_AT, HALF_OPEN, ("no_silent_loss",)),
    Claim("R2", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, PARTITION, ("detected_partition",)),
    Claim("T4", "reproduced", "a partition is not noticed (R2)", NO_INBOUND_TIMER_AT, PARTITION,
          ("detected_partition",)),
    Claim("R11", "reproduced", URL_TOKEN, URL_TOKEN_AT, PARTITION, ("token_never_in_url",)),
    Claim(
        "R18", "reproduced",
        "a server ping (type 6) is dropped without a note and nothing measures the time since the last one; "
        "the WebSocket below still answers websockets' pings, so a hub that stops its pings stays connected",
        ("realtime/_signalr.py:219-220", "realtime/_signalr.py:227-235"),
        PINGS_STOP, ("silent_user_hub_noticed",),
    ),
    Claim("R18", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, SILENT_HUB, ("detected_half_open",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS, UNREPORTED_LOSS_AT, SILENT_HUB, ("no_silent_loss",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS + ": here the 2 s partition before the first reconnect",
          UNREPORTED_LOSS_AT, SECOND_FAULT, ("no_silent_loss",)),
    # R3, T6: tokens
    Claim(
        "R3", "refuted",
        "client.validate() is one REST call that renews the token the hubs read at their next (re)connect; it "
        "touches no hub and holds no lock across one, so it answers in milliseconds and the streams go on",
        ("_http.py:106-124", "client.py:90-95"),
        REFRESH, ("refresh_succeeded", "no_silent_stall", "connected_at_end"),
    ),
    Claim("R3", "refuted", "the refresh never waits on a hub, so no hung negotiate can hold it (nor close())",
          ("_http.py:106-124", "realtime/_signalr.py:98-110"), REFRESH_HANG,
          ("refresh_answered_in_time", "no_deadlock")),
    Claim(
        "R3", "reproduced",
        "the hubs reconnect with the REST token, renewed only by age (23 h on the monotonic clock, never from "
        "the JWT's exp) or by a REST 401; the hub's own 401 is swallowed by the supervisor, so it retries the "
        "expired token at 1, 2, 4 s ... for ever, silently",
        ("client.py:90-95", "_http.py:69-80", "realtime/_signalr.py:138-149"),
        EXPIRY, ("recovered", "connected_at_end", "fresh_token_after"),
    ),
    Claim("T6", "reproduced", "the expired token is presented on every reconnect (R3)",
          ("client.py:90-95", "_http.py:69-80"), EXPIRY, ("fresh_token_after",)),
    Claim("R11", "reproduced", URL_TOKEN, URL_TOKEN_AT, EXPIRY, ("token_never_in_url",)),
    # R4
    Claim(
        "R4", "reproduced",
        "the delay before a reconnect is exactly min(30, 2**attempt) s, with no jitter and no attempt limit: "
        "a herd dropped together retries together (here all at 1, 3 and 7 s)",
        ("realtime/_signalr.py:147-150",),
        HERD, ("herd_spread_out",),
    ),
    # R5, T1, R8: a burst past a slow consumer
    Claim(
        "R5", "reproduced",
        "no bound and no overflow policy: handlers are awaited inline in the hub's reader, once per trade or "
        "depth entry, so a consumer slower than the feed leaves the burst waiting in websockets' queue and the "
        "socket; when the run ends most of it was never delivered, and nothing says so (tasks stay bounded: "
        "there is one reader per hub, no task per event)",
        ("realtime/_signalr.py:166-167", "realtime/market_hub.py:23-36"),
        BURST, ("no_silent_loss",),
    ),
    Claim("T1", "reproduced", "a burst far past 1000 msg/s is never caught up with and is lost at close (R5)",
          ("realtime/_signalr.py:166-167", "realtime/market_hub.py:23-36"), BURST, ("no_silent_loss",)),
    Claim(
        "R8", "reproduced",
        "stop() awaits the WebSocket closing handshake, whose reply sits behind the backlog the reader has not "
        "consumed; websockets gives up only after its 10 s close_timeout, and the handlers run on meanwhile",
        ("realtime/_signalr.py:98-110",),
        BURST, ("no_deadlock",),
    ),
    Claim(
        "R15", "refuted",
        "there is no batching path: every record is dispatched as it is read, and a 20x burst with no slow "
        "handler is delivered in full",
        ("realtime/_signalr.py:191-200",),
        BATCHING, ("no_silent_loss", "connected_at_end"),
    ),
    # R6, R7, R9, T8: callbacks
    Claim(
        "R6", "reproduced",
        "no circuit breaker: a handler that raises is caught per event and logged with its traceback "
        "(logger.exception), on every event, for ever",
        ("realtime/_signalr.py:213-218",),
        THROWING, ("callback_errors_between",),
    ),
    Claim(
        "R7", "refuted",
        "handlers run in the hub's reader with no lock held; subscribe_*() takes only the send lock around one "
        "ws.send(), so a handler that subscribes or registers cannot deadlock",
        ("realtime/_signalr.py:123-128", "realtime/_signalr.py:208-218"),
        REENTRANT, ("reentrant_calls_ran", "no_deadlock"),
    ),
    Claim("R13", "reproduced", RESEND + ": here a handler that subscribes trades on every other quote",
          RESEND_AT, REENTRANT, ("no_duplicate_subscriptions",)),
    Claim(
        "R9", "unobservable",
        "one handler slot per event type, replaced on registration (on_quote(), ...): the SDK cannot store more "
        "than seven handlers. A user with several consumers keeps them in a list of its own (here the driver's), "
        "so no run can count anything the SDK stores",
    ),
    Claim(
        "T8", "unobservable",
        "with one slot per event and no remove API, registering and removing callbacks happens only in the "
        "user's own multiplexer (here the driver's), never in the SDK",
    ),
    # R10, R16, T3: the soak
    Claim("R10", "refuted", "the SDK keeps no statistics: the heap stays flat over the soak",
          ("realtime/_signalr.py:50-73",), SOAK, ("heap_growth_bounded",), observed="in-process"),
    Claim("R16", "refuted", "a supervisor and a ping task per hub, recreated only on reconnect: the task count "
          "holds at its floor", ("realtime/_signalr.py:84", "realtime/_signalr.py:161-170"), SOAK,
          ("tasks_bounded",), observed="in-process"),
    Claim("T3", "passes", "memory stays bounded at 1000 msg/s (a soak, not 24 h)", ("realtime/_signalr.py:191-200",),
          SOAK, ("heap_growth_bounded", "stream_flowing"), observed="in-process"),
    # R8, R14: connecting
    Claim(
        "R8", "reproduced",
        "the SignalR handshake reply is awaited with a bare ws.recv(), no timeout (start()'s bound covers only "
        "the first connect): after a drop the reconnect whose handshake never comes holds the hub for as long "
        "as the server does",
        ("realtime/_signalr.py:172-173", "realtime/_signalr.py:152-159"),
        HANDSHAKE_HANG, ("attempts_bounded_by_connect_timeout", "recovered", "connected_at_end"),
    ),
    Claim("R14", "refuted", "start() waits on its own hub's connected event under asyncio.timeout, and a hub "
          "that drops meanwhile is reconnected by its supervisor", ("realtime/_signalr.py:84-91",), CONNECT_DROP,
          ("connect_answered_in_time", "connected_at_end")),
    # R11
    Claim("R11", "reproduced", URL_TOKEN + "; no log record holds it (only websockets' DEBUG request line "
          "would, and nothing enables DEBUG)", URL_TOKEN_AT, TOKENS, ("token_never_in_url",)),
    # R12
    Claim(
        "R12", "reproduced",
        "invocations are sent without an invocationId, so the hub cannot answer with a Completion and "
        "subscribe_quotes() returns after the local write; a type 3 Completion would be ignored anyway",
        ("realtime/_signalr.py:93-96", "realtime/_signalr.py:202-225"),
        REFUSED_SUB, ("refusal_reported",),
    ),
    Claim(
        "R12", "refuted",
        "a Close is told by its message type and raises RealtimeError out of the reader: the hub is dropped at "
        "once and reconnected (allowReconnect is never read: a Close refusing reconnect is reconnected too)",
        ("realtime/_signalr.py:221-225", "realtime/_signalr.py:130-150"),
        CLOSE, ("detected_server_close", "recovered"),
    ),
    Claim(
        "R12", "reproduced",
        "allowReconnect is never read: a Close refusing reconnect raises RealtimeError like any other, and the "
        "supervisor, which retries on every exception, connects the hub again 1 s later",
        ("realtime/_signalr.py:221-225", "realtime/_signalr.py:130-150"),
        CLOSE_REFUSING, ("market_stayed_away",),
    ),
    # R13, T7, T9
    Claim("R13", "reproduced", RESEND, RESEND_AT, RACES, ("no_duplicate_subscriptions",)),
    Claim("T7", "passes", "the server ends holding every stream asked for and nothing else (with no unsubscribe, "
          "that is all the SDK can intend)", ("realtime/market_hub.py:101-125",), RACES,
          ("server_set_equals_intended",)),
    Claim("R13", "reproduced", RESEND, RESEND_AT, RACES_FAULTS, ("no_duplicate_subscriptions",)),
    Claim("T9", "passes", "reconnects during the churn end with the intended set: each open resends the whole "
          "set", ("realtime/market_hub.py:119-125",), RACES_FAULTS, ("server_set_equals_intended",)),
    # R17, T2, T5
    Claim("R17", "refuted", OWN_CONNECTION, OWN_CONNECTION_AT, ONE_DOWN, ("recovered", "user_untouched")),
    Claim("T5", "passes", "the user hub streams on while the market hub is down, and the market recovers alone",
          OWN_CONNECTION_AT, ONE_DOWN, ("recovered", "user_untouched")),
    Claim("R17", "refuted", OWN_CONNECTION, OWN_CONNECTION_AT, ONE_DOWN_USER, ("recovered", "market_untouched")),
    Claim("R17", "refuted", OWN_CONNECTION, OWN_CONNECTION_AT, HUB_DOWN, ("recovered", "user_untouched")),
    Claim("T2", "passes", "after a reset the market hub is back and streaming", OWN_CONNECTION_AT, RESET,
          ("recovered", "no_silent_loss")),
    # Beyond the review
    Claim("X1", "reproduced", "no sequence check: a message the server sends twice reaches the handlers twice",
          ("realtime/_signalr.py:208-218",), DUPLICATES, ("no_event_delivered_twice",)),
    Claim(
        "X3", "refuted",
        "a malformed record is decoded outside the handler's try, so it raises out of the reader: the "
        "connection is dropped and reconnected, never carried on as if nothing happened (what shared its frame "
        "is lost with it, and the drop grows the next reconnect's delay)",
        ("realtime/_signalr.py:202-203", "realtime/_signalr.py:130-150"),
        MALFORMED, ("detected_server:malformed_message", "recovered", "no_silent_loss"),
    ),
    Claim("X4", "refuted", "records are cut on 0x1e from a buffer kept across WebSocket messages",
          ("realtime/_signalr.py:191-200",), SPLIT, ("no_silent_loss", "no_silent_stall")),
)  # fmt: skip
