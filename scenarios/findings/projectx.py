"""Findings of project-x-py 3.3.0 and 4.4.1 (see ``scenarios/findings/__init__.py``)."""

from __future__ import annotations

from harness.chaos import Finding

from .shared import DELIVERED_TWICE, HANDSHAKE_NOT_TIMED_OUT, PINGS_NEVER_SUSPECTED

# project-x-py 3.3.0 (signalrcore 0.9.5 underneath, the pin that lets it disconnect at all).
SIGNALRCORE_SLOW_RECONNECT = (
    "signalrcore 0.9.5 notices a dead socket only when its next keep-alive send fails, then retries "
    "on the SDK's fixed [1, 3, 5, 5, 5, 5] s schedule"
)
PX_330: dict[str, Finding] = {
    "test_r6_r9_t8_a_throwing_callback_and_callback_churn_during_a_partition": Finding(
        ("R6", "R16"),
        "no circuit breaker: a callback that always raises runs, and logs its traceback, on every event; "
        "each event is its own task (run_coroutine_threadsafe), so tasks pile up while they fail",
        ("callback_errors_between", "callbacks_skipped_open_breaker", "tasks_bounded"),
    ),
    "test_r13_t7_t9_subscription_races_during_reconnects_converge": Finding(
        ("R13", "R17"),
        "racing subscribe/unsubscribe calls go out unsynchronised (duplicates on one connection) and "
        "nothing is restored after the reconnect: the server ends up holding nothing; "
        + SIGNALRCORE_SLOW_RECONNECT,
        ("server_set_equals_intended", "no_duplicate_subscriptions", "connected_at_end"),
    ),
    "test_r1_r8_r14_connecting_to_a_hub_that_is_down_fails_in_time_and_tells_the_truth": Finding(
        ("R1", "R14"),
        "with both hubs up, connect() waits its full 10 s and returns False: the hub-ready asyncio.Events "
        "are set from signalrcore's thread and never wake an idle loop",
        ("connect_with_both_hubs_up_tells_the_truth",),
    ),
    "test_a_link_that_dies_after_each_few_kilobytes_is_reconnected_each_time": Finding(
        ("R2", "R4"),
        SIGNALRCORE_SLOW_RECONNECT + "; the message in flight when the link died is lost unreported",
        ("no_silent_loss", "recovered_within", "reconnects_between", "connected_at_end"),
    ),
    "test_r2_half_open_market_link_is_caught_by_the_server_timeout": Finding(
        ("R2",),
        "no health monitoring: is_connected() stays True on a silent link; the loss shows only when the "
        "sockets close, and " + SIGNALRCORE_SLOW_RECONNECT,
        ("detected_half_open", "recovered_within", "no_silent_loss", "connected_at_end"),
    ),
    "test_r18_a_silent_hub_is_caught_by_the_application_heartbeat": Finding(
        ("R18", "R2"),
        "no application heartbeat: a hub that keeps TCP up and sends nothing is never suspected",
        ("detected_half_open", "recovered_within", "no_silent_loss", "connected_at_end"),
    ),
    "test_r17_one_hub_down_leaves_the_other_streaming": Finding(
        ("R4",),
        "the live hub streams on (R17 holds), but the dead one is not back within 4 s of returning: "
        + SIGNALRCORE_SLOW_RECONNECT,
        ("recovered_within", "connected_at_end"),
    ),
    "test_reset_of_the_market_hub_reconnects_and_resubscribes": Finding(
        ("R2", "R4"),
        SIGNALRCORE_SLOW_RECONNECT + "; what was in flight at the reset is lost unreported",
        ("recovered_within", "no_silent_loss", "connected_at_end"),
    ),
    "test_after_the_hub_closes_and_comes_back_its_streams_resume": Finding(
        ("R17", "R2"),
        "never resubscribes after a reconnect: is_connected() is True again and the quotes never come "
        "back (a silent stall)",
        ("no_silent_stall",),
    ),
    "test_partition_of_the_market_hub_is_detected_and_healed_with_no_silent_loss": Finding(
        ("R2", "R11"),
        "a partition is never noticed (no liveness check); the JWT is in every hub URL (?access_token=)",
        ("detected_partition", "token_never_in_url"),
    ),
    "test_a_second_fault_right_after_the_first_recovery_is_recovered_too": Finding(
        ("R17", "R2"),
        "after the first reconnect nothing is resubscribed: connected and silent, the second fault "
        "goes unnoticed, and every quote after the first drop is lost unreported",
        ("recovered_within", "reconnects_between", "no_silent_loss"),
    ),
    "test_r4_a_herd_of_clients_backs_off_with_jitter_and_one_told_to_gives_up": Finding(
        ("R4",),
        "no jitter and no way to give up visibly: fixed intervals for every client, and the hubs are "
        "noticed down only at the next keep-alive, after the outage",
        ("herd_spread_out", "quitter_failed_visibly", "recovered_within"),
    ),
    "test_r7_callbacks_that_subscribe_and_register_during_faults_never_deadlock": Finding(
        ("R4",),
        "no deadlock (R7 holds), but the reset market hub is not back by the end: "
        + SIGNALRCORE_SLOW_RECONNECT,
        ("connected_at_end",),
    ),
    "test_r12_a_close_allowing_reconnect_reconnects": Finding(
        ("R12",),
        "a Close message from the server is logged and dropped: the market_connected flag stays True",
        ("detected_server_close",),
    ),
    "test_r12_a_close_refusing_reconnect_fails_visibly_and_spares_the_other_hub": Finding(
        ("R12",),
        "a Close refusing reconnect leaves no visible failure: only booleans, no failed state or reason",
        ("market_failed_visibly",),
    ),
    "test_r12_a_subscription_the_hub_refuses_is_reported_not_swallowed": Finding(
        ("R12",),
        "subscribe_market_data() returns True without waiting for the hub's answer; the error Completion "
        "is dropped at debug level because its class name contains 'CompletionMessage'",
        ("refusal_reported",),
    ),
    "test_r3_t6_tokens_expiring_under_load_are_replaced_on_reconnect": Finding(
        ("R3", "R11"),
        "reconnects present the JWT baked into the hub URL at connect time (update_jwt_token is never "
        "called): after expiry every attempt is refused and the hubs stay down",
        ("recovered_within", "token_never_in_url", "connected_at_end", "fresh_token_after_expiry"),
    ),
    "test_r5_r15_r16_t1_a_burst_past_a_slow_consumer_stays_bounded_and_nothing_is_lost_silently": Finding(
        ("R5", "R16"),
        "every event becomes its own task via run_coroutine_threadsafe: hundreds of tasks under a burst, "
        "no queue bound or overflow policy to report",
        ("queues_bounded", "tasks_bounded"),
    ),
    "test_a_malformed_record_costs_one_reconnect_and_nothing_silently": Finding(
        ("R12",),
        "a malformed record is dropped silently by signalrcore: no error reaches the SDK, no reconnect",
        ("detected_server:malformed_message",),
    ),
    "test_duplicated_messages_are_dropped_not_delivered_twice": DELIVERED_TWICE,
    "test_records_split_across_frames_are_reassembled": Finding(
        ("R12",),
        "signalrcore 0.9.5 drops a record split across two WebSocket messages without a word (reference F17)",
        ("no_silent_loss",),
    ),
    "test_r8_r14_a_handshake_that_never_comes_fails_each_attempt_in_time_then_recovers": HANDSHAKE_NOT_TIMED_OUT,
    "test_r17_the_market_hub_going_away_leaves_the_user_hub_alone": Finding(
        ("R2",),
        "the market hub going away is noticed only seconds later, when a send fails",
        ("detected_server:hub_down",),
    ),
    "test_r2_pings_that_stop_on_an_idle_hub_are_noticed_without_a_heartbeat_and_harmless_with_one": PINGS_NEVER_SUSPECTED,
}

# project-x-py 4.4.1 (pysignalr underneath): resubscribes after a reconnect (the stall scenario
# passes), everything else of the review is still there, and it coalesces quotes and depth.
COALESCES = (
    "quotes and depth are coalesced per contract under load and messages in flight at a drop vanish, "
    "with nothing to tell the user (no sequence check, no loss counter)"
)
PYSIGNALR_BACKOFF = "pysignalr's negotiate retries back off 1 s x 1.5^n while the hub is down"
PX_441: dict[str, Finding] = {
    "test_a_link_that_dies_after_each_few_kilobytes_is_reconnected_each_time": Finding(
        ("R13",),
        "the restore it runs on every hub open races the caller's own subscribe_user_updates(): the "
        "user streams are subscribed twice on one connection",
        ("no_duplicate_subscriptions",),
    ),
    "test_r13_t7_t9_subscription_races_during_reconnects_converge": Finding(
        ("R13",),
        "the restore on hub open and the caller's subscribe calls race: duplicates on one connection, "
        "and at times the server ends up holding another set than the one asked for",
        ("no_duplicate_subscriptions", "server_set_equals_intended"),
    ),
    "test_a_second_fault_right_after_the_first_recovery_is_recovered_too": Finding(
        ("R5",), COALESCES, ("no_silent_loss",)
    ),
    "test_bandwidth_starvation_ends_in_recovery_without_silent_loss": Finding(
        ("R5",), COALESCES, ("no_silent_loss",)
    ),
    "test_partition_of_the_market_hub_is_detected_and_healed_with_no_silent_loss": Finding(
        ("R2", "R11", "R5"),
        "a partition is never noticed (its watchdog waits 30 s); the JWT is still in every hub URL; "
        + COALESCES,
        ("detected_partition", "token_never_in_url", "no_silent_loss"),
    ),
    "test_r12_a_close_allowing_reconnect_reconnects": Finding(
        ("R12",),
        "a server Close is not acted on in time: the market_connected flag stays True",
        ("detected_server_close",),
    ),
    "test_r12_a_close_refusing_reconnect_fails_visibly_and_spares_the_other_hub": Finding(
        ("R12",),
        "a Close refusing reconnect leaves no visible failure: only booleans, no failed state or reason",
        ("market_failed_visibly",),
    ),
    "test_r17_one_hub_down_leaves_the_other_streaming": Finding(
        ("R4", "R13", "R5"),
        "the live hub streams on (R17 holds), but the dead one is often not back within 4 s of returning ("
        + PYSIGNALR_BACKOFF
        + "), and when it is, its restore duplicates the user subscriptions; "
        + COALESCES,
        ("recovered_within", "connected_at_end", "no_duplicate_subscriptions", "no_silent_loss"),
    ),
    "test_r2_half_open_market_link_is_caught_by_the_server_timeout": Finding(
        ("R2", "R5"),
        "a silent link is suspected only by a 30 s stale-feed watchdog; " + COALESCES,
        ("detected_half_open", "no_silent_loss"),
    ),
    "test_r18_a_silent_hub_is_caught_by_the_application_heartbeat": Finding(
        ("R18", "R5"),
        "its Heartbeat invocation is fire-and-forget every 10 s, nothing waits for an answer; " + COALESCES,
        ("detected_half_open", "no_silent_loss"),
    ),
    "test_r1_r8_r14_connecting_to_a_hub_that_is_down_fails_in_time_and_tells_the_truth": Finding(
        ("R8", "R14"),
        "connect() takes no timeout: with the market hub down it waits its own 10 s (then says False)",
        ("connect_failed_in_time",),
    ),
    "test_r3_t6_tokens_expiring_under_load_are_replaced_on_reconnect": Finding(
        ("R3", "R11", "R5"),
        "reconnects present the JWT from the hub URL (update_jwt_token is never called): after expiry "
        "they are refused with 401 and the hub tasks end; " + COALESCES,
        (
            "recovered_within",
            "token_never_in_url",
            "connected_at_end",
            "fresh_token_after_expiry",
            "no_silent_loss",
        ),
    ),
    "test_r4_a_herd_of_clients_backs_off_with_jitter_and_one_told_to_gives_up": Finding(
        ("R4",),
        "there is no way to give up after N attempts (the SDK's reconnect settings are ignored)",
        ("quitter_failed_visibly", "recovered_within"),
    ),
    "test_r5_r15_r16_t1_a_burst_past_a_slow_consumer_stays_bounded_and_nothing_is_lost_silently": Finding(
        ("R5", "R15"), COALESCES + "; no queue bound it can report", ("no_silent_loss", "queues_bounded")
    ),
    "test_r6_r9_t8_a_throwing_callback_and_callback_churn_during_a_partition": Finding(
        ("R6", "R5"),
        "no circuit breaker: a callback that always raises runs on every event; " + COALESCES,
        ("no_silent_loss", "callback_errors_between", "callbacks_skipped_open_breaker"),
    ),
    "test_r12_a_subscription_the_hub_refuses_is_reported_not_swallowed": Finding(
        ("R12",),
        "subscribe_market_data() returns True without an answer (pysignalr sends no invocation id); an "
        "error Completion would be dropped at debug level by its class name anyway",
        ("refusal_reported",),
    ),
    "test_a_malformed_record_costs_one_reconnect_and_nothing_silently": Finding(
        ("R12",),
        "a malformed record is dropped without a word: no error reaches the SDK",
        ("detected_server:malformed_message",),
    ),
    "test_duplicated_messages_are_dropped_not_delivered_twice": DELIVERED_TWICE,
    "test_r8_r14_a_handshake_that_never_comes_fails_each_attempt_in_time_then_recovers": HANDSHAKE_NOT_TIMED_OUT,
    "test_r17_the_market_hub_going_away_leaves_the_user_hub_alone": Finding(
        ("R2",),
        "the market hub going away is not noticed: market_connected stays True",
        ("detected_server:hub_down",),
    ),
    "test_records_split_across_frames_are_reassembled": Finding(
        ("R12",),
        "a record split across two WebSocket messages raises JSONDecodeError out of pysignalr's run() "
        "(reference F17): the hub restarts and what was in flight is lost unreported",
        ("no_silent_loss",),
    ),
    "test_r2_pings_that_stop_on_an_idle_hub_are_noticed_without_a_heartbeat_and_harmless_with_one": PINGS_NEVER_SUSPECTED,
}
