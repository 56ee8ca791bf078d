"""projectx-sdk 0.2.39 (PyPI; signalrcore 0.9.2 on websocket-client 0.54.0, both pinned by the SDK),
driven as its README shows but for the hub URLs (``harness/clients/drivers/projectxsdk_client.py``):
which of the review's findings it has, and what it adds.

Paths: the SDK's under ``projectx_sdk/`` as installed (the wheel, identical to the sdist); ``sc:``
signalrcore 0.9.2 (``signalrcore/``); ``wsc:`` websocket-client 0.54.0 (``websocket/``).

Four mechanisms decide most rows. Every close of a hub (the server's, a reset, ``stop()``) starts
the SDK's own reconnect 5 s later, a new signalrcore connection with the token it was built with
(``realtime/connection.py:440-447, 514-587``). After that reconnect the market hub is never
resubscribed: only the user hub hooks the open callback (``realtime/user_hub.py:48-50``), so the
market comes back, says connected, and streams nothing. The SDK sends nothing while idle (no
keep-alive), so the server's 30 s client timeout drops both hubs about every 35 s. And its market
handlers are registered on signalrcore twice, so every quote, trade and depth message reaches the
user's callbacks twice: the harness counts deliveries of messages without sequence numbers, so a
loss of up to half a market stream could hide behind the duplicates. ``no_silent_loss`` is then
unknown for this client, never a pass (where it fails, more than half was lost).
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
    REFUSED_SUB,
    REJECTED,
    RESET,
    SECOND_FAULT,
    SILENT_HUB,
    SOAK,
    STORAGE,
    THROWING,
    TOKENS,
)

NO_RESUBSCRIBE = (
    "the SDK reconnects the dropped hub 5 s later, but only the user hub hooks the connection's open "
    "callback: MarketHub._on_connected is never wired, so the market hub is back, says connected, and "
    "nothing resubscribes it"
)
NO_RESUBSCRIBE_AT = (
    "projectx_sdk/realtime/user_hub.py:48-50",
    "projectx_sdk/realtime/connection.py:433-438",
    "projectx_sdk/realtime/market_hub.py:636-652",
)
NO_KEEPALIVE = (
    "no keep-alive: the SDK builds signalrcore without automatic reconnect, and signalrcore 0.9.2 starts "
    "its ping only with one, so an idle client sends nothing and the server's 30 s client timeout closes "
    "its hubs (then, 5 s later, they reconnect, the market unsubscribed)"
)
NO_KEEPALIVE_AT = (
    "projectx_sdk/realtime/connection.py:249-253",
    "sc:transport/websockets/websocket_transport.py:125-128",
)
TWICE = (
    "the market handlers are registered on signalrcore twice, once by start() and again by the open "
    "handler; signalrcore appends each and fires every match, so each quote, trade and depth message runs "
    "the user's callbacks two times"
)
TWICE_AT = (
    "projectx_sdk/realtime/connection.py:275-276",
    "projectx_sdk/realtime/connection.py:429-431",
    "sc:hub/base_hub_connection.py:80-88",
    "sc:hub/base_hub_connection.py:141-151",
)
NO_INBOUND_TIMER = (
    "nothing checks that a hub still delivers: is_connected() is a flag that only signalrcore's socket "
    "callbacks change, the client sends no keep-alive and reads no server timeout, and signalrcore skips "
    "the server's pings; a link that goes silent without FIN or RST stays connected"
)
NO_INBOUND_TIMER_AT = (
    "projectx_sdk/realtime/connection.py:332-339",
    "projectx_sdk/realtime/connection.py:249-253",
    "sc:hub/base_hub_connection.py:138-139",
)
URL_TOKEN = (
    "the JWT is put in both hub URLs as ?access_token= and signalrcore keeps it on the negotiate URL: every "
    "negotiate and upgrade carries it"
)
URL_TOKEN_AT = ("projectx_sdk/realtime/connection.py:249-251", "sc:helpers.py:71-86")
UNREPORTED_LOSS = (
    "what the server sent while the SDK took the dead link for a live one is lost, and nothing says so: "
    "the callbacks get the payload only, no sequence number, and the SDK reports no gap"
)
UNREPORTED_LOSS_AT = ("projectx_sdk/realtime/market_hub.py:283-288",)
STALE_TOKEN = (
    "every reconnect builds its connection with the token the realtime client was given "
    "(SignalRConnection.access_token); the SDK never refreshes it, and its one way to change it, "
    "SignalRConnection.refresh_token(), is reachable only through private attributes"
)
STALE_TOKEN_AT = (
    "projectx_sdk/realtime/connection.py:221-223",
    "projectx_sdk/realtime/connection.py:546",
    "projectx_sdk/realtime/connection.py:636-664",
)

PX_SDK_0239: tuple[Claim, ...] = (
    # R1, R8, R14: connecting
    Claim(
        "R1", "refuted",
        "signalrcore 0.9.2 raises on a handshake answered with an error before it calls on_open, so the "
        "flag is never set for a rejected hub; the close that follows starts the SDK's 5 s reconnect",
        ("sc:transport/websockets/websocket_transport.py:119-133",
         "sc:transport/websockets/websocket_transport.py:175-182"),
        REJECTED, ("never_connected_while_rejected", "connected_at_end"),
    ),
    Claim(
        "R17", "reproduced",
        "a hub whose first start fails (its negotiate refused) is never retried: no socket was opened, so no "
        "close handler runs and no reconnect starts; RealTimeClient.start() only logs the failure, and "
        "start() again returns at once because the client counts as started. The state says disconnected, "
        "and neither a wait nor a second connect brings the hub up",
        ("projectx_sdk/realtime/connection.py:280-282", "projectx_sdk/realtime/__init__.py:380-389",
         "projectx_sdk/realtime/__init__.py:227-230"),
        CONNECT_DOWN,
        ("state_told_the_truth", "never_connected_while_down", "connect_with_both_hubs_up_tells_the_truth",
         "connected_at_end"),
    ),
    Claim(
        "R8", "reproduced",
        "start() has no timeout: signalrcore's negotiate is a requests.post with no timeout, run on the "
        "realtime client's loop, and SyncRealTimeClient.start() waits 30 s for it; the next start() (its "
        "first never finished) builds a second client that hangs on the same negotiate",
        ("sc:transport/websockets/websocket_transport.py:93-94", "projectx_sdk/realtime/connection.py:280",
         "projectx_sdk/realtime/__init__.py:227-265"),
        NEGOTIATE_HANG, ("connect_answered_in_time", "connected_once_negotiates_answer"),
    ),
    Claim(
        "R14", "refuted",
        "start() polls each hub's flag every 0.1 s and returns once it was set; a hub dropping after that "
        "does not hold it, and the SDK reconnects the hub 5 s later",
        ("projectx_sdk/realtime/connection.py:288-295", "projectx_sdk/realtime/connection.py:440-447"),
        CONNECT_DROP, ("connect_answered_in_time", "connected_at_end"),
    ),
    Claim("R17", "reproduced", NO_RESUBSCRIBE + " (each attempt made during the hanging handshakes was cut)",
          NO_RESUBSCRIBE_AT, HANDSHAKE_HANG, ("recovered",)),
    # R2, R18: silence
    Claim("R2", "reproduced", NO_INBOUND_TIMER + ": the link died only when the fault was cleared",
          NO_INBOUND_TIMER_AT, HALF_OPEN, ("detected_half_open",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, HALF_OPEN, ("recovered",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS, UNREPORTED_LOSS_AT, HALF_OPEN, ("no_silent_loss",)),
    Claim("R18", "reproduced", NO_INBOUND_TIMER + ": there is no application heartbeat",
          NO_INBOUND_TIMER_AT, SILENT_HUB, ("detected_half_open",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, SILENT_HUB, ("recovered",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS, UNREPORTED_LOSS_AT, SILENT_HUB, ("no_silent_loss",)),
    Claim("R2", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, PARTITION, ("detected_partition",)),
    Claim("T4", "reproduced", "a partition is never noticed (R2)", NO_INBOUND_TIMER_AT, PARTITION,
          ("detected_partition",)),
    Claim("R11", "reproduced", URL_TOKEN, URL_TOKEN_AT, PARTITION, ("token_never_in_url",)),
    Claim("R18", "reproduced", "signalrcore drops the server's pings unread and nothing times the hub's "
          "silence: an idle hub whose pings stop is never suspected", NO_INBOUND_TIMER_AT, PINGS_STOP,
          ("silent_user_hub_noticed",)),
    # R3, T6: tokens
    Claim("R3", "reproduced", STALE_TOKEN + ": after expiry every reconnect is refused (401) and the hubs "
          "stay down, retrying", STALE_TOKEN_AT, EXPIRY, ("fresh_token_after", "recovered", "connected_at_end")),
    Claim("T6", "reproduced", "the stale token after expiry (R3)", STALE_TOKEN_AT, EXPIRY, ("fresh_token_after",)),
    Claim("R11", "reproduced", URL_TOKEN, URL_TOKEN_AT, EXPIRY, ("token_never_in_url",)),
    # R4: retries
    Claim(
        "R4", "reproduced",
        "every client's first retry comes exactly 5 s after the drop (a fixed sleep, no jitter), so a herd "
        "reconnects in lockstep; and no retry limit can be set (5 failures, then a circuit breaker, are fixed "
        "in the code): the client told to give up after 3 never fails, it reconnects",
        ("projectx_sdk/realtime/connection.py:519", "projectx_sdk/realtime/connection.py:531",
         "projectx_sdk/realtime/connection.py:572-578"),
        HERD, ("herd_spread_out", "quitter_failed_visibly"),
    ),
    Claim(
        "R4", "refuted",
        "in part: the delay is not fixed, it grows x1.5 from 5 s after each failed attempt (cap 60 s)",
        ("projectx_sdk/realtime/connection.py:569-570",),
        OUTAGE, ("retries_back_off",),
    ),
    Claim(
        "R4", "reproduced",
        "the growing delay (5, 7.5, 11.3, 16.9 s from the drop) puts the first attempt after a 25 s outage "
        "about 14 s after the hub is back: not back within the bound",
        ("projectx_sdk/realtime/connection.py:519", "projectx_sdk/realtime/connection.py:569-570"),
        OUTAGE, ("recovered", "connected_at_end"),
    ),
    Claim("X7", "reproduced", NO_KEEPALIVE + ": here the idle user hub, 30 s into the run",
          NO_KEEPALIVE_AT, OUTAGE, ("recovered",)),
    # R5, R6, R7, R9, R10, R16: the event path and the callbacks
    Claim(
        "R5", "reproduced",
        "no queue and no overflow policy: callbacks run synchronously on the hub's socket thread, each market "
        "callback twice (X6), so a slow consumer stalls the reader; what the server sent waits unread in "
        "the socket and is gone when the client closes, and nothing reports it",
        ("projectx_sdk/realtime/market_hub.py:350-355", "projectx_sdk/realtime/market_hub.py:417-422",
         "sc:hub/base_hub_connection.py:141-151"),
        BURST, ("no_silent_loss",),
    ),
    Claim("T1", "reproduced", "at a burst far past 1000 msg/s most of it is never read, silently (R5)",
          ("projectx_sdk/realtime/market_hub.py:417-422",), BURST, ("no_silent_loss",)),
    Claim(
        "R6", "reproduced",
        "no circuit breaker: every callback runs on every event, and a failing one is logged at ERROR each "
        "time; with the doubled handlers it fails twice per quote",
        ("projectx_sdk/realtime/market_hub.py:283-288",),
        THROWING, ("callback_errors_between",),
    ),
    Claim("T8", "passes", "callbacks registered and removed while messages flow are removed by equality",
          ("projectx_sdk/realtime/market_hub.py:509-530",), THROWING, ("callbacks_unregistered",)),
    Claim(
        "R7", "refuted",
        "no lock is held while callbacks run (signalrcore iterates a filtered copy of its handlers, the hub "
        "its own list), and subscribing runs on the realtime client's loop thread: a callback that "
        "subscribes, unsubscribes or registers callbacks cannot deadlock",
        ("sc:hub/base_hub_connection.py:141-151", "projectx_sdk/realtime/market_hub.py:283-288"),
        REENTRANT, ("reentrant_calls_ran", "no_deadlock"),
    ),
    Claim(
        "R9", "reproduced",
        "market callbacks are kept as strong references in a list per contract, appended by subscribe_* "
        "with no limit and no duplicate check: a bound method keeps its dropped object alive, and 1,500 "
        "trade callbacks for one contract are all kept",
        ("projectx_sdk/realtime/market_hub.py:436-446", "projectx_sdk/realtime/market_hub.py:497-507"),
        STORAGE, ("dropped_owners_released", "callback_storage_bounded"), observed="in-process",
    ),
    Claim("R9", "refuted", "in part: market callbacks the user removes do go (unsubscribe_* filters its list), "
          "so over a soak with callback churn the stored count stays at its floor",
          ("projectx_sdk/realtime/market_hub.py:509-530",), SOAK, ("callbacks_bounded",), observed="in-process"),
    Claim("R10", "refuted", "the SDK keeps no statistics: the heap stays flat over the soak",
          ("projectx_sdk/realtime/connection.py:229-239",), SOAK, ("heap_growth_bounded",), observed="in-process"),
    Claim("R16", "refuted", "no task or thread per message: the SDK's threads (its loop, one socket reader per "
          "hub, reconnect workers) stay at their floor over the soak",
          ("projectx_sdk/realtime/connection.py:586-587",), SOAK, ("tasks_bounded",), observed="in-process"),
    Claim("T3", "passes", "memory stays bounded over the soak, but weakly shown: after the server's first "
          "timeout (X7) the market hub is never resubscribed (R17), so most of the soak measures a client whose "
          "market stream stopped, not one at 1000 msg/s",
          ("projectx_sdk/realtime/connection.py:229-239",), SOAK, ("heap_growth_bounded",), observed="in-process"),
    Claim("X7", "reproduced", NO_KEEPALIVE + ": both hubs, every 35 s of the soak", NO_KEEPALIVE_AT, SOAK,
          ("stream_flowing",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE + ": after the first timeout the market never streams again",
          NO_RESUBSCRIBE_AT, SOAK, ("stream_flowing",)),
    # R11
    Claim(
        "R11", "reproduced",
        URL_TOKEN + "; a refused negotiate's error quotes that URL, and the SDK logs it at ERROR twice",
        (*URL_TOKEN_AT, "projectx_sdk/realtime/connection.py:299-300", "projectx_sdk/realtime/__init__.py:388-389"),
        TOKENS, ("token_never_in_url", "token_never_in_logs"), observed="in-process",
    ),
    # R12
    Claim(
        "R12", "reproduced",
        "subscribe_quotes() returns once the invocation is written: the server's error Completion goes to "
        "signalrcore's on_error, which the SDK only logs, so the refusal never reaches the caller",
        ("projectx_sdk/realtime/market_hub.py:439-446", "sc:hub/base_hub_connection.py:158-160",
         "projectx_sdk/realtime/connection.py:449-457"),
        REFUSED_SUB, ("refusal_reported",),
    ),
    Claim(
        "R12", "reproduced",
        "a Close message makes signalrcore stop the socket without reading its error or allowReconnect, and "
        "the SDK's close handler reconnects 5 s later: a hub told not to come back comes back, and never "
        "fails with the server's reason",
        ("sc:hub/base_hub_connection.py:153-156", "projectx_sdk/realtime/connection.py:440-447"),
        CLOSE_REFUSING, ("market_failed_visibly", "market_stayed_away"),
    ),
    # R13, T7, T9
    Claim(
        "R13", "reproduced",
        "a market stream cannot be subscribed again once unsubscribed: unsubscribe_* leaves the contract in "
        "the callback dict with an empty list, and subscribe_* sends only for a contract not in it; after the "
        "churn the server holds nothing",
        ("projectx_sdk/realtime/market_hub.py:436-446", "projectx_sdk/realtime/market_hub.py:460-483"),
        RACES, ("server_set_equals_intended",),
    ),
    Claim("T7", "reproduced", "racing subscribe and unsubscribe calls end with nothing subscribed (R13)",
          ("projectx_sdk/realtime/market_hub.py:436-446",), RACES, ("server_set_equals_intended",)),
    Claim("R13", "reproduced", "as without faults: a stream once unsubscribed is never sent again",
          ("projectx_sdk/realtime/market_hub.py:436-446",), RACES_FAULTS, ("server_set_equals_intended",)),
    Claim("T9", "reproduced", "subscription changes during reconnects end with nothing subscribed (R13)",
          ("projectx_sdk/realtime/market_hub.py:436-446",), RACES_FAULTS, ("server_set_equals_intended",)),
    # R15
    Claim("R15", "unobservable", "the SDK has no batching path (nothing batches, nothing to switch on): "
          "the review's claim has nothing to apply to"),
    # R17: one hub, and reconnects
    Claim("R17", "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, ONE_DOWN, ("recovered",)),
    Claim("T5", "reproduced", "the live hub streams on, the refused one comes back silent (R17)",
          NO_RESUBSCRIBE_AT, ONE_DOWN, ("recovered",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, RESET, ("recovered",)),
    Claim("T2", "reproduced", "after a reset the hub is back but nothing is resubscribed (R17)",
          NO_RESUBSCRIBE_AT, RESET, ("recovered",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, CUT, ("recovered",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, SECOND_FAULT, ("recovered",)),
    Claim("X2", "reproduced", UNREPORTED_LOSS, UNREPORTED_LOSS_AT, SECOND_FAULT, ("no_silent_loss",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, CLOSE, ("recovered",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE + ": connected, and silent", NO_RESUBSCRIBE_AT, CLOSE_ONCE,
          ("no_silent_stall",)),
    Claim("R17", "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, HUB_DOWN, ("recovered",)),
    Claim("R17", "refuted", "in part: each hub is its own SignalRConnection with its own reconnect, so the "
          "market hub going away leaves the user hub alone", ("projectx_sdk/realtime/__init__.py:363-376",),
          HUB_DOWN, ("user_untouched",)),
    # Beyond the review
    Claim("X1", "reproduced", "no sequence check: a message the server sends twice reaches the callbacks twice",
          ("projectx_sdk/realtime/market_hub.py:283-288",), DUPLICATES, ("no_event_delivered_twice",)),
    Claim("X6", "reproduced", TWICE, TWICE_AT, DUPLICATES, ("no_event_delivered_twice",)),
    Claim(
        "X3", "reproduced",
        "a record that is not valid JSON raises inside signalrcore's parser, websocket-client logs the "
        "exception and drops the frame: the connection stays up and nobody is told",
        ("sc:protocol/json_hub_protocol.py:41-42", "wsc:_app.py:339-348"),
        MALFORMED, ("detected_server:malformed_message",),
    ),
)  # fmt: skip
