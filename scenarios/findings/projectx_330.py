"""project-x-py 3.3.0 (the version the review read), run on signalrcore 0.9.5 and websocket-client
1.0.0, the pins it needs to disconnect at all: what the review says of it, claim by claim.

Paths: the SDK's under ``src/project_x_py/`` of its sdist; ``sc:`` signalrcore 0.9.5
(``signalrcore/``); ``wsc:`` websocket-client 1.0.0 (``websocket/``). Each claim was read there,
then seen in a run (``docs/findings.md`` records which).

How signalrcore 0.9.5 notices trouble decides many rows: its receive thread flips the SDK's flag
to False at once on a reset, a FIN or a WebSocket close, but a reconnect starts only when its next
keep-alive ping fails to send, up to 11 s later (``sc:transport/websockets/reconnection.py:25-30``:
time since the last *send*; nothing measures inbound silence). Scenarios give it that long
(``ClientEnv.reconnect_allowance_s``), so what fails is what it does, not when its timer fires.
"""

from __future__ import annotations

from harness.run.findings import Claim

CONNECT_DOWN = "test_r1_r8_r14_connecting_to_a_hub_that_is_down_fails_in_time_and_tells_the_truth"
REJECTED = "test_r1_a_hub_whose_handshake_is_rejected_is_never_reported_connected"
HALF_OPEN = "test_r2_half_open_market_link_is_caught_by_the_server_timeout"
PARTITION = "test_partition_of_the_market_hub_is_detected_and_healed_with_no_silent_loss"
REFRESH = "test_r3_a_token_refreshed_through_the_client_keeps_the_streams_and_is_used_from_then_on"
REFRESH_HANG = "test_r3_r8_a_refresh_while_no_negotiate_is_answered_returns_in_time"
EXPIRY = "test_r3_t6_tokens_expiring_under_load_are_replaced_on_reconnect"
OUTAGE = "test_r4_a_long_hub_outage_is_retried_with_backoff_until_the_hub_is_back"
HERD = "test_r4_a_herd_of_clients_backs_off_with_jitter_and_one_told_to_gives_up"
BURST = "test_r5_r15_r16_t1_a_burst_past_a_slow_consumer_stays_bounded_and_nothing_is_lost_silently"
THROWING = "test_r6_r9_t8_a_throwing_callback_and_callback_churn_during_a_partition"
REENTRANT = "test_r7_callbacks_that_subscribe_and_register_during_faults_never_deadlock"
NEGOTIATE_HANG = "test_r8_connecting_while_a_negotiate_never_answers_returns_in_time_then_recovers"
HANDSHAKE_HANG = "test_r8_r14_a_handshake_that_never_comes_fails_each_attempt_in_time_then_recovers"
STORAGE = "test_r9_callbacks_whose_owners_are_gone_are_released_and_storage_is_bounded"
SOAK = "test_client_memory_stays_bounded"
TOKENS = "test_r11_the_token_is_never_in_a_url_or_a_log_even_when_connecting_fails"
REFUSED_SUB = "test_r12_a_subscription_the_hub_refuses_is_reported_not_swallowed"
CLOSE = "test_r12_a_close_allowing_reconnect_reconnects"
CLOSE_REFUSING = "test_r12_a_close_refusing_reconnect_fails_visibly_and_spares_the_other_hub"
CLOSE_ONCE = "test_after_the_hub_closes_and_comes_back_its_streams_resume"
HUB_DOWN = "test_r17_the_market_hub_going_away_leaves_the_user_hub_alone"
RACES = "test_r13_t7_concurrent_subscription_changes_converge"
RACES_FAULTS = "test_r13_t7_t9_subscription_races_during_reconnects_converge"
CONNECT_DROP = "test_r14_a_hub_dropping_while_connect_waits_does_not_hold_connect"
BATCHING = "test_r15_a_burst_through_the_clients_batching_path_is_delivered_and_bounded"
ONE_DOWN = "test_r17_one_hub_down_leaves_the_other_streaming[market-user]"
RESET = "test_reset_of_the_market_hub_reconnects_and_resubscribes"
SILENT_HUB = "test_r18_a_silent_hub_is_caught_by_the_application_heartbeat"
PINGS_STOP = "test_r2_pings_that_stop_on_an_idle_hub_are_noticed_without_a_heartbeat_and_harmless_with_one"
CUT = "test_a_link_that_dies_after_each_few_kilobytes_is_reconnected_each_time"
SECOND_FAULT = "test_a_second_fault_right_after_the_first_recovery_is_recovered_too"
DUPLICATES = "test_duplicated_messages_are_dropped_not_delivered_twice"
MALFORMED = "test_a_malformed_record_costs_one_reconnect_and_nothing_silently"
SPLIT = "test_records_split_across_frames_are_reassembled"
BANDWIDTH = "test_bandwidth_starvation_ends_in_recovery_without_silent_loss"

# Mechanisms several claims share.
NO_RESUBSCRIBE = (
    "signalrcore reconnects the dropped hub alone (one HubConnection per hub), but the SDK's "
    "hub-open callback only sets its flag: nothing resubscribes, so the hub is back, says "
    "connected, and streams nothing"
)
NO_RESUBSCRIBE_AT = (
    "realtime/connection_management.py:442-444",
    "sc:transport/websockets/websocket_transport.py:219-233",
)
UNREPORTED_LOSS = (
    "what the server sent while the SDK took the dead link for a live one is lost, and nothing says so: "
    "no gap event, and its callbacks get the payload only, never a sequence number"
)
NO_INBOUND_TIMER = (
    "is_connected() reads two flags that only signalrcore's socket callbacks change; signalrcore "
    "times its keep-alive from its own last send and ignores inbound pings, so a link that goes "
    "silent without FIN or RST stays connected"
)
NO_INBOUND_TIMER_AT = (
    "realtime/connection_management.py:601",
    "sc:transport/websockets/reconnection.py:25-30",
    "sc:hub/base_hub_connection.py:168-169",
)
URL_TOKEN = "the JWT is put in both hub URLs as ?access_token= and sent on every negotiate and upgrade"
URL_TOKEN_AT = ("realtime/connection_management.py:143-145", "realtime/connection_management.py:165-167")
CLOSE_IGNORED = (
    "a Close message makes signalrcore stop the transport without calling the SDK's close handler: "
    "market_connected stays True, the error is never surfaced, and the hub never reconnects, "
    "whatever allowReconnect says"
)
CLOSE_IGNORED_AT = (
    "sc:hub/base_hub_connection.py:181-184",
    "sc:transport/websockets/websocket_transport.py:55-60",
)
HANG_ON_NEGOTIATE = (
    "connect() holds _connection_lock across signalrcore's negotiate, a requests.post with no "
    "timeout; disconnect() takes the same lock, and neither wait is bounded"
)
HANG_ON_NEGOTIATE_AT = (
    "realtime/connection_management.py:280",
    "realtime/connection_management.py:385",
    "sc:transport/websockets/websocket_transport.py:95-96",
)
R17 = "R17"
X2 = "X2"

PX_330: tuple[Claim, ...] = (
    # R1: the connected flags and ready events
    Claim(
        "R1", "reproduced",
        "the hub-open callbacks run on signalrcore's receive thread and set asyncio.Events there; set() from "
        "a foreign thread does not wake the loop, so on an idle loop connect() waits its full 10 s and "
        "returns False although both hubs came up in milliseconds",
        ("realtime/connection_management.py:409-410", "realtime/connection_management.py:442-443",
         "realtime/connection_management.py:301-315"),
        CONNECT_DOWN, ("connect_with_both_hubs_up_tells_the_truth",),
    ),
    Claim(
        "R1", "reproduced",
        "signalrcore takes the first frame for the handshake and calls on_open whatever it says: a "
        "handshake answered with an error sets the SDK's user_connected, so a hub that never came up is "
        "reported connected (ready before established)",
        ("sc:transport/websockets/websocket_transport.py:176-182", "realtime/connection_management.py:409-410"),
        REJECTED, ("never_connected_while_rejected",),
    ),
    Claim(
        R17, "reproduced",
        "a hub that fails while connecting is never retried: signalrcore's keep-alive checker, the only "
        "thing that starts a reconnect, is started after a successful handshake",
        ("sc:transport/websockets/websocket_transport.py:125-130",),
        REJECTED, ("connected_at_end",),
    ),
    # R2 / R18: nothing notices silence
    Claim("R2", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, HALF_OPEN, ("detected_half_open",)),
    Claim(R17, "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, HALF_OPEN, ("recovered",)),
    Claim(X2, "reproduced", UNREPORTED_LOSS, ("realtime/event_handling.py:335-356",), HALF_OPEN, ("no_silent_loss",)),
    Claim("R2", "reproduced", NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT, PARTITION, ("detected_partition",)),
    Claim("T4", "reproduced", "a partition is never noticed: " + NO_INBOUND_TIMER, NO_INBOUND_TIMER_AT,
          PARTITION, ("detected_partition",)),
    Claim("R11", "reproduced", URL_TOKEN, URL_TOKEN_AT, PARTITION, ("token_never_in_url",)),
    Claim(
        "R18", "reproduced",
        "no application heartbeat and no liveness timer: stats['last_event_time'] is written on every "
        "event and read nowhere, so a hub whose pings stop while its TCP stays up is never suspected",
        ("realtime/event_handling.py:484", "sc:hub/base_hub_connection.py:168-169"),
        PINGS_STOP, ("silent_user_hub_noticed",),
    ),
    Claim(
        "R18", "reproduced",
        "no application heartbeat: the SDK sends nothing of its own to ask a hub whether it is alive, so a "
        "silent market link is never suspected",
        ("realtime/event_handling.py:484", "sc:transport/websockets/reconnection.py:25-30"),
        SILENT_HUB, ("detected_half_open",),
    ),
    Claim(R17, "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, SILENT_HUB, ("recovered",)),
    Claim(X2, "reproduced", UNREPORTED_LOSS, ("realtime/event_handling.py:335-356",), SILENT_HUB, ("no_silent_loss",)),
    # R3: tokens and their refresh
    Claim(
        "R3", "reproduced",
        "update_jwt_token() disconnects, builds new connections with the new token, and resubscribes only "
        "if connect() returns True; connect() returns False on an idle loop (R1), so the refresh reports "
        "failure and leaves both hubs connected with no subscription",
        ("realtime/connection_management.py:554-578",),
        REFRESH, ("refresh_succeeded", "no_silent_stall"),
    ),
    Claim(
        "R3", "reproduced",
        "update_jwt_token() reconnects through connect(), which holds _connection_lock across a negotiate "
        "with no timeout: with no negotiate answered the refresh never returns, and close() waits behind "
        "it on the same lock",
        ("realtime/connection_management.py:563", *HANG_ON_NEGOTIATE_AT),
        REFRESH_HANG, ("refresh_answered_in_time", "no_deadlock"),
    ),
    Claim(
        "R3", "reproduced",
        "the JWT is baked into the hub URLs when the connections are built and nothing in the SDK calls "
        "update_jwt_token(): every reconnect after expiry presents the expired token, is refused with 401, "
        "and after signalrcore's six intervals the hubs stay down",
        ("realtime/connection_management.py:143-145", "realtime/connection_management.py:496-578",
         "sc:transport/websockets/reconnection.py:80-87"),
        EXPIRY, ("fresh_token_after", "recovered", "connected_at_end"),
    ),
    Claim("T6", "reproduced", "the stale token after expiry (R3): reconnects are refused and the hubs stay down",
          ("realtime/connection_management.py:143-145",), EXPIRY, ("fresh_token_after",)),
    Claim("R11", "reproduced", URL_TOKEN, URL_TOKEN_AT, EXPIRY, ("token_never_in_url",)),
    # R4: the reconnect policy
    Claim(
        "R4", "reproduced",
        "the SDK's [1, 3, 5, 5, 5, 5] is not what runs: signalrcore retries on its checker's 1 s tick "
        "(no back-off), and when negotiate keeps failing its interval handler raises after six intervals, "
        "the checker thread dies and the hub gives up for good, silently: no retry once the hub is back, "
        "no event, no failed state",
        ("sc:transport/websockets/reconnection.py:25-30", "sc:transport/websockets/reconnection.py:80-87",
         "sc:transport/websockets/websocket_transport.py:219-233"),
        OUTAGE, ("retries_back_off", "recovered", "connected_at_end"),
    ),
    Claim(
        "R4", "reproduced",
        "no jitter: each client retries on its own 1 s checker tick counted from its last send, so clients "
        "that connected together retry within milliseconds of each other",
        ("sc:transport/websockets/reconnection.py:25-30",),
        HERD, ("herd_spread_out",),
    ),
    # R5, R6, R7, R9: the event path and the callbacks
    Claim(
        "R5", "reproduced",
        "every event is handed to the loop with run_coroutine_threadsafe, one task per event, with no bound "
        "and no overflow policy: under a burst past a slow consumer the tasks pile up by the hundred",
        ("realtime/event_handling.py:429-433",),
        BURST, ("tasks_bounded",),
    ),
    Claim("X5", "passes", "nothing is coalesced: every depth increment of the burst reaches the callbacks, late",
          ("realtime/event_handling.py:394-402",), BURST, ("no_silent_loss",)),
    Claim("T1", "reproduced", "at a burst far past 1000 msg/s the tasks pile up (R5)",
          ("realtime/event_handling.py:429-433",), BURST, ("tasks_bounded",)),
    Claim(
        "R6", "reproduced",
        "no circuit breaker: every callback runs on every event, and each failure is logged with its "
        "traceback, for as long as the callback keeps failing",
        ("realtime/event_handling.py:237-244",),
        THROWING, ("callback_errors_between",),
    ),
    Claim(
        "T8", "passes",
        "callbacks registered and removed while messages flow are removed by identity and the others keep "
        "receiving",
        ("realtime/event_handling.py:168-170", "realtime/event_handling.py:209-212"),
        THROWING, ("callbacks_unregistered", "no_silent_loss"),
    ),
    Claim(
        "R7", "refuted",
        "the callback lock is held only to copy the list and released before any callback runs, and no lock "
        "is held across an await on the dispatch path: a callback that subscribes, unsubscribes or "
        "registers callbacks cannot deadlock",
        ("realtime/event_handling.py:234-244", "realtime/core.py:319-320"),
        REENTRANT, ("reentrant_calls_ran", "no_deadlock"),
    ),
    Claim(
        "R9", "reproduced",
        "callbacks are kept as strong references in a defaultdict(list), appended with no limit and no "
        "duplicate check: a bound method keeps its dropped object alive, and 1,500 callbacks for one event "
        "are all kept",
        ("realtime/core.py:298", "realtime/event_handling.py:168-170"),
        STORAGE, ("dropped_owners_released", "callback_storage_bounded"), observed="in-process",
    ),
    Claim(
        "R9", "refuted",
        "in part: callbacks the user removes do go (removal by identity), so over a soak with callbacks "
        "added and removed all along the stored count returns to its floor; what stays is what the user "
        "never removes, or holds through a bound method",
        ("realtime/event_handling.py:209-212",),
        SOAK, ("callbacks_bounded",), observed="in-process",
    ),
    # R8, R14: operations that wait
    Claim("R8", "reproduced", HANG_ON_NEGOTIATE + ": connect() never answers, nor does the next connect() "
          "or close(), stuck behind the lock", HANG_ON_NEGOTIATE_AT,
          NEGOTIATE_HANG, ("connect_answered_in_time", "connected_once_negotiates_answer", "no_deadlock")),
    Claim(
        "R8", "reproduced",
        "a handshake that never comes is never timed out: the attempt stays open, and signalrcore's checker, "
        "which alone retries, only starts after a handshake",
        ("sc:transport/websockets/websocket_transport.py:125-130",),
        HANDSHAKE_HANG, ("recovered",),
    ),
    Claim(
        "R14", "refuted",
        "connect() waits on the ready events through asyncio.wait_for(..., timeout=10.0): a hub that drops "
        "while it waits cannot hold it longer (it returns False at 10 s)",
        ("realtime/connection_management.py:301-315",),
        CONNECT_DROP, ("connect_answered_in_time",),
    ),
    # R10, R16, T3: a long run
    Claim(
        "R10", "refuted",
        "stats has four fixed keys, updated in place: it cannot grow, and the heap stays flat over the soak",
        ("realtime/core.py:301-306", "realtime/event_handling.py:483-484"),
        SOAK, ("heap_growth_bounded",), observed="in-process",
    ),
    Claim(
        "R16", "refuted",
        "run_coroutine_threadsafe's futures are dropped and its tasks finish, and the default path creates no "
        "managed task: the task count returns to its floor over the soak (tasks pile up only while a consumer "
        "is slower than the feed: R5)",
        ("realtime/event_handling.py:429-433", "utils/task_management.py:47-52"),
        SOAK, ("tasks_bounded",), observed="in-process",
    ),
    Claim("T3", "passes", "memory stays bounded at 1000 msg/s with callback churn (a soak, not 24 h: see the run time)",
          ("realtime/core.py:298-306",), SOAK, ("heap_growth_bounded", "stream_flowing"), observed="in-process"),
    # R11: the token
    Claim(
        "R11", "reproduced",
        URL_TOKEN + "; when a negotiate fails at the transport, the error quoting that URL is logged at ERROR "
        "by the SDK's error handler and by signalrcore on each retry",
        (*URL_TOKEN_AT, "utils/error_handler.py:150-159", "sc:transport/websockets/websocket_transport.py:228"),
        TOKENS, ("token_never_in_url", "token_never_in_logs"), observed="in-process",
    ),
    # R12: errors
    Claim(
        "R12", "reproduced",
        "subscribe_market_data() returns once its sends are written, never waiting for an answer, and the "
        "error Completion that comes back is dropped at debug level because its class name contains "
        "'CompletionMessage'",
        ("realtime/subscriptions.py:291-317", "realtime/connection_management.py:484-489"),
        REFUSED_SUB, ("refusal_reported",),
    ),
    Claim("R12", "reproduced", CLOSE_IGNORED, CLOSE_IGNORED_AT, CLOSE, ("detected_server_close",)),
    Claim("R12", "reproduced", CLOSE_IGNORED + ": connected, and silent", CLOSE_IGNORED_AT, CLOSE_ONCE,
          ("no_silent_stall",)),
    Claim("R12", "reproduced", CLOSE_IGNORED, CLOSE_IGNORED_AT, HUB_DOWN, ("detected_server:hub_down",)),
    # R13: subscriptions
    Claim(
        "R13", "reproduced",
        "each call's three Subscribe (or Unsubscribe) invocations are separate default-executor jobs with "
        "nothing ordering them across calls: racing calls reach the wire out of order, and the server sees "
        "a stream subscribed twice with no unsubscribe between, and ends up holding another set than the "
        "calls intended (the SDK's own list stays right)",
        ("realtime/subscriptions.py:291-317", "realtime/subscriptions.py:483-503"),
        RACES, ("no_duplicate_subscriptions", "server_set_equals_intended"),
    ),
    Claim("T7", "reproduced", "racing subscribe and unsubscribe calls reach the wire out of order (R13)",
          ("realtime/subscriptions.py:291-317",), RACES, ("server_set_equals_intended",)),
    Claim("R13", "reproduced", "racing calls reach the wire out of order (see above)",
          ("realtime/subscriptions.py:291-317",), RACES_FAULTS, ("no_duplicate_subscriptions",)),
    Claim(R17, "reproduced", NO_RESUBSCRIBE + ": after the reconnects the server holds nothing",
          NO_RESUBSCRIBE_AT, RACES_FAULTS, ("server_set_equals_intended",)),
    Claim("T9", "reproduced", "after a reconnect during subscription changes the server holds nothing (R17)",
          NO_RESUBSCRIBE_AT, RACES_FAULTS, ("server_set_equals_intended",)),
    # R15: batching
    Claim(
        "R15", "reproduced",
        "enable_batching() routes market events to asyncio.create_task() called on signalrcore's receive "
        "thread, which raises 'no running event loop'; websocket-client swallows it, so with batching on "
        "every quote, trade and depth is dropped without a word while the hub says connected. The 60 s "
        "breaker and the fixed batch sizes are never reached, and the batch queues are bounded deques. "
        "(enable_batching() is the only switch: the documented TradingSuite.create(websocket_config=...) "
        "raises TypeError)",
        ("realtime/event_handling.py:309-313", "realtime/event_handling.py:348-354",
         "utils/task_management.py:68", "realtime/batched_handler.py:55", "wsc:_app.py:397-406"),
        BATCHING, ("no_silent_loss",),
    ),
    # R17: one hub, and reconnects
    Claim(R17, "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, ONE_DOWN, ("recovered",)),
    Claim("T5", "reproduced", "the live hub streams on, the refused one comes back silent (R17)",
          NO_RESUBSCRIBE_AT, ONE_DOWN, ("recovered",)),
    Claim(R17, "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, RESET, ("recovered",)),
    Claim("T2", "reproduced", "after a reset the hub is back but nothing is resubscribed (R17)",
          NO_RESUBSCRIBE_AT, RESET, ("recovered",)),
    Claim(R17, "reproduced", NO_RESUBSCRIBE, NO_RESUBSCRIBE_AT, CUT, ("recovered",)),
    Claim(R17, "reproduced", NO_RESUBSCRIBE + ": with nothing streaming, the second drop is noticed only by the "
          "next keep-alive", NO_RESUBSCRIBE_AT, SECOND_FAULT, ("recovered",)),
    Claim(X2, "reproduced", UNREPORTED_LOSS, ("realtime/event_handling.py:335-356",), SECOND_FAULT,
          ("no_silent_loss",)),
    # Beyond the review
    Claim("X1", "reproduced", "no sequence check: a message the server sends twice reaches the callbacks twice",
          ("realtime/event_handling.py:335-356",), DUPLICATES, ("no_event_delivered_twice",)),
    Claim(
        "X3", "reproduced",
        "a record that is not valid JSON raises inside signalrcore's parser, websocket-client swallows the "
        "exception, and the whole frame is dropped: the connection stays up and nobody is told",
        ("sc:protocol/json_hub_protocol.py:31-45", "wsc:_app.py:397-406"),
        MALFORMED, ("detected_server:malformed_message",),
    ),
    Claim(
        "X4", "reproduced",
        "signalrcore parses each WebSocket message on its own: a record split across two messages fails to "
        "parse in both halves and is dropped, with the rest of each frame, without a word",
        ("sc:protocol/json_hub_protocol.py:31-45", "wsc:_app.py:397-406"),
        SPLIT, ("no_silent_loss",),
    ),
)  # fmt: skip
