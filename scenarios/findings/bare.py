"""Findings of the bare SignalR libraries (see ``scenarios/findings/__init__.py``)."""

from __future__ import annotations

from harness.chaos import Finding

from .shared import DELIVERED_TWICE, HANDSHAKE_NOT_TIMED_OUT, PINGS_NEVER_SUSPECTED

# Bare SignalR libraries (no ProjectX layer): nothing restores subscriptions after a reconnect
# (that is the application's job with a bare library, and it shows), and nothing checks sequence.
BARE_NO_RESTORE = "a bare library restores no subscription after its own reconnect: connected and silent"
# What every bare library here shows alike.
BARE_COMMON: dict[str, Finding] = {
    "test_after_the_hub_closes_and_comes_back_its_streams_resume": Finding(
        ("R17",), BARE_NO_RESTORE, ("no_silent_stall", "connected_at_end")
    ),
    "test_r2_half_open_market_link_is_caught_by_the_server_timeout": Finding(
        ("R2", "R17"),
        "no server timeout: a silent link shows only when the sockets close; " + BARE_NO_RESTORE,
        ("detected_half_open", "recovered_within", "no_silent_loss", "connected_at_end"),
    ),
    "test_r18_a_silent_hub_is_caught_by_the_application_heartbeat": Finding(
        ("R18", "R17"),
        "no application heartbeat; " + BARE_NO_RESTORE,
        ("detected_half_open", "recovered_within", "no_silent_loss", "connected_at_end"),
    ),
    "test_r5_r15_r16_t1_a_burst_past_a_slow_consumer_stays_bounded_and_nothing_is_lost_silently": Finding(
        ("R5", "R15"),
        "under a 60x burst past a slow handler messages are lost without a word; no queue or task count to show",
        ("no_silent_loss", "queues_bounded", "tasks_bounded"),
    ),
    "test_duplicated_messages_are_dropped_not_delivered_twice": DELIVERED_TWICE,
    "test_r2_pings_that_stop_on_an_idle_hub_are_noticed_without_a_heartbeat_and_harmless_with_one": PINGS_NEVER_SUSPECTED,
}
PYSIGNALR: dict[str, Finding] = {
    **BARE_COMMON,
    "test_a_link_that_dies_after_each_few_kilobytes_is_reconnected_each_time": Finding(
        ("R17",),
        BARE_NO_RESTORE,
        ("no_silent_loss", "recovered_within", "reconnects_between", "connected_at_end"),
    ),
    "test_a_second_fault_right_after_the_first_recovery_is_recovered_too": Finding(
        ("R17",),
        BARE_NO_RESTORE,
        ("recovered_within", "reconnects_between", "no_silent_loss", "connected_at_end"),
    ),
    "test_partition_of_the_market_hub_is_detected_and_healed_with_no_silent_loss": Finding(
        ("R2", "R11", "R17"),
        "a partition is noticed only by pysignalr's 10 s WebSocket ping; the token must go in the URL "
        "(its access-token factory misses the first negotiate); " + BARE_NO_RESTORE,
        (
            "detected_partition",
            "token_never_in_url",
            "recovered_within",
            "no_silent_loss",
            "connected_at_end",
        ),
    ),
    "test_r13_t7_t9_subscription_races_during_reconnects_converge": Finding(
        ("R13", "R17"),
        "racing subscribe/unsubscribe calls duplicate on one connection, and nothing is restored after "
        "the reconnects: the server ends up holding little or nothing",
        ("server_set_equals_intended", "no_duplicate_subscriptions", "connected_at_end"),
    ),
    "test_r17_one_hub_down_leaves_the_other_streaming[market-user]": Finding(
        ("R17",), BARE_NO_RESTORE, ("recovered_within", "connected_at_end", "no_silent_loss")
    ),
    "test_r17_one_hub_down_leaves_the_other_streaming[user-market]": Finding(
        ("R4",),
        "the refused user hub is not back within 4 s of returning: fixed reconnect intervals",
        ("recovered_within", "connected_at_end"),
    ),
    "test_r6_r9_t8_a_throwing_callback_and_callback_churn_during_a_partition": Finding(
        ("R6",),
        "an exception from a handler is re-raised out of run() (pysignalr client.py): one bad callback "
        "ends the whole client",
        (
            "callback_errors_between",
            "callbacks_skipped_open_breaker",
            "tasks_bounded",
            "connected_at_end",
            "no_silent_loss",
        ),
    ),
    "test_r7_callbacks_that_subscribe_and_register_during_faults_never_deadlock": Finding(
        ("R4",),
        "an error escaping run() at the reset ends the client: it never reconnects",
        ("connected_at_end",),
    ),
    "test_reset_of_the_market_hub_reconnects_and_resubscribes": Finding(
        ("R4",),
        "an error escaping run() at a TCP reset ends the client: it never reconnects",
        ("recovered_within", "no_silent_loss", "connected_at_end"),
    ),
    "test_r4_a_herd_of_clients_backs_off_with_jitter_and_one_told_to_gives_up": Finding(
        ("R4",),
        "no way to give up after N attempts",
        ("quitter_failed_visibly", "herd_spread_out", "recovered_within"),
    ),
    "test_r12_a_close_allowing_reconnect_reconnects": Finding(
        ("R12", "R4"),
        "a server Close, even one allowing reconnect, raises out of run(): the client ends for good",
        ("detected_server_close", "recovered_within", "connected_at_end"),
    ),
    "test_r3_t6_tokens_expiring_under_load_are_replaced_on_reconnect": Finding(
        ("R3", "R11"),
        "the token in the URL is reused on every reconnect: after expiry each is refused",
        (
            "recovered_within",
            "token_never_in_url",
            "connected_at_end",
            "fresh_token_after_expiry",
            "no_silent_loss",
        ),
    ),
    "test_a_malformed_record_costs_one_reconnect_and_nothing_silently": Finding(
        ("R12", "R4"),
        "a malformed record raises out of run(): the client ends for good",
        ("detected_server:malformed_message", "recovered_within", "connected_at_end"),
    ),
    "test_r8_r14_a_handshake_that_never_comes_fails_each_attempt_in_time_then_recovers": HANDSHAKE_NOT_TIMED_OUT,
    "test_records_split_across_frames_are_reassembled": Finding(
        ("R12",),
        "a record split across two WebSocket messages raises JSONDecodeError out of run() (reference F17)",
        ("no_silent_loss", "connected_at_end", "market_untouched"),
    ),
    "test_r17_the_market_hub_going_away_leaves_the_user_hub_alone": Finding(
        ("R2", "R4"),
        "the market hub going away is noticed late, and the error raises out of run(): the client ends",
        ("detected_server:hub_down", "recovered_within", "connected_at_end"),
    ),
    "test_r1_r8_r14_connecting_to_a_hub_that_is_down_fails_in_time_and_tells_the_truth": Finding(
        ("R1", "R4"),
        "a refused connection at start raises out of run(): the client is gone for good and never "
        "connects once the hub is back",
        (
            "state_told_the_truth",
            "never_connected_while_down",
            "connect_with_both_hubs_up",
            "connected_at_end",
        ),
    ),
}


# signalrcore 0.9.5 and 1.0.2, bare: both reconnect on their own (0.9.5 re-negotiates; 1.0.2 calls
# on_reconnect, not on_open) and both restore nothing; neither watches the server (no server
# timeout); 1.0.2's receive thread dies on a handler exception or a bad record.
SIGNALRCORE_SLOW = "the library notices a dead or silent socket only when a send fails, seconds later"
SIGNALRCORE_COMMON: dict[str, Finding] = {
    **BARE_COMMON,
    "test_a_link_that_dies_after_each_few_kilobytes_is_reconnected_each_time": Finding(
        ("R17", "R2"),
        BARE_NO_RESTORE + "; " + SIGNALRCORE_SLOW,
        ("no_silent_loss", "recovered_within", "reconnects_between", "connected_at_end"),
    ),
    "test_partition_of_the_market_hub_is_detected_and_healed_with_no_silent_loss": Finding(
        ("R2",),
        "a partition is noticed only after ~6 s, when a keep-alive send fails",
        ("detected_partition", "no_silent_loss", "recovered_within", "connected_at_end"),
    ),
    "test_r12_a_close_allowing_reconnect_reconnects": Finding(
        ("R12", "R17"),
        "a server Close is acted on late, and what was subscribed is not restored",
        ("detected_server_close", "recovered_within", "connected_at_end"),
    ),
    "test_r12_a_close_refusing_reconnect_fails_visibly_and_spares_the_other_hub": Finding(
        ("R12",),
        "a Close refusing reconnect is retried like any drop: no failed state",
        ("market_failed_visibly",),
    ),
    "test_r13_t7_t9_subscription_races_during_reconnects_converge": Finding(
        ("R13", "R17"),
        "racing subscribe/unsubscribe calls duplicate on one connection, and nothing is restored after the "
        "reconnects: the server ends up holding nothing",
        ("server_set_equals_intended", "no_duplicate_subscriptions", "connected_at_end"),
    ),
    "test_r1_r8_r14_connecting_to_a_hub_that_is_down_fails_in_time_and_tells_the_truth": Finding(
        ("R1", "R4"),
        "a refused connection at start is not retried: the hub never connects once it is back",
        (
            "never_connected_while_down",
            "connect_with_both_hubs_up",
            "connected_at_end",
            "state_told_the_truth",
        ),
    ),
    "test_r4_a_herd_of_clients_backs_off_with_jitter_and_one_told_to_gives_up": Finding(
        ("R4",),
        "fixed reconnect intervals for every client (no jitter) and no way to give up visibly",
        ("herd_spread_out", "quitter_failed_visibly", "recovered_within"),
    ),
    "test_r6_r9_t8_a_throwing_callback_and_callback_churn_during_a_partition": Finding(
        ("R6",),
        "no circuit breaker: 0.9.5 runs a raising handler on every message; in 1.0.2 the first exception "
        "kills the receive thread and the hub with it",
        (
            "callback_errors_between",
            "callbacks_skipped_open_breaker",
            "tasks_bounded",
            "no_silent_loss",
            "connected_at_end",
        ),
    ),
    "test_reset_of_the_market_hub_reconnects_and_resubscribes": Finding(
        ("R17", "R2"),
        BARE_NO_RESTORE + "; " + SIGNALRCORE_SLOW,
        ("recovered_within", "no_silent_loss", "detected_reset", "connected_at_end"),
    ),
    "test_r3_t6_tokens_expiring_under_load_are_replaced_on_reconnect": Finding(
        ("R3",),
        "the access-token factory of the bare client returns the token it was given: reconnects after "
        "expiry present the stale one",
        ("fresh_token_after_expiry", "recovered_within", "connected_at_end", "no_silent_loss"),
    ),
    "test_a_malformed_record_costs_one_reconnect_and_nothing_silently": Finding(
        ("R12",),
        "0.9.5 notices a malformed record only seconds later; 1.0.2's receive thread dies on it",
        ("detected_server:malformed_message", "recovered_within", "no_silent_loss", "connected_at_end"),
    ),
    "test_records_split_across_frames_are_reassembled": Finding(
        ("R12",),
        "a record split across two WebSocket messages is dropped without a word (0.9.5) or kills the "
        "receive thread (1.0.2) (reference F17)",
        ("no_silent_loss", "market_untouched", "connected_at_end"),
    ),
    "test_r17_the_market_hub_going_away_leaves_the_user_hub_alone": Finding(
        ("R2", "R17"),
        "the market hub going away is noticed late; " + BARE_NO_RESTORE,
        ("detected_server:hub_down", "recovered_within"),
    ),
}
SIGNALRCORE_095: dict[str, Finding] = {
    **SIGNALRCORE_COMMON,
    "test_a_second_fault_right_after_the_first_recovery_is_recovered_too": Finding(
        ("R17",), BARE_NO_RESTORE, ("recovered_within", "reconnects_between", "no_silent_loss")
    ),
    "test_r17_one_hub_down_leaves_the_other_streaming[market-user]": Finding(
        ("R17",), BARE_NO_RESTORE, ("recovered_within", "connected_at_end", "no_silent_loss")
    ),
    "test_r17_one_hub_down_leaves_the_other_streaming[user-market]": Finding(
        ("R4",),
        "the refused user hub is not back within 4 s of returning: fixed reconnect intervals",
        ("recovered_within", "connected_at_end"),
    ),
    "test_r8_r14_a_handshake_that_never_comes_fails_each_attempt_in_time_then_recovers": HANDSHAKE_NOT_TIMED_OUT,
}
SIGNALRCORE_102: dict[str, Finding] = {
    **SIGNALRCORE_COMMON,
    "test_a_second_fault_right_after_the_first_recovery_is_recovered_too": Finding(
        ("R2", "R17"),
        "after the reset the market hub is not back in time ("
        + SIGNALRCORE_SLOW
        + "), and nothing is restored",
        ("recovered_within", "reconnects_between", "no_silent_loss", "connected_at_end"),
    ),
    "test_r8_r14_a_handshake_that_never_comes_fails_each_attempt_in_time_then_recovers": Finding(
        ("R8", "R14"),
        "a handshake that never comes is not timed out: the hub never says it lost the market",
        ("attempts_bounded_by_connect_timeout", "recovered_within", "connected_at_end"),
    ),
    "test_r17_one_hub_down_leaves_the_other_streaming": Finding(
        ("R2",),
        "a refused hub is noticed only ~5 s later, when a send fails",
        ("detected_refuse", "recovered_within", "connected_at_end"),
    ),
}
