"""What a misbehaving server does to the client: garbage on the wire, duplicated messages, frames
cut mid-record, a handshake that never comes, a hub that goes away, pings that stop (R2, R8, R12,
R14, R17)."""

from __future__ import annotations

import pytest

from client import HeartbeatPolicy
from harness.chaos import ACCOUNT, ChaosRun
from harness.clients.adapters import ClientAdapter
from harness.run import checks
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos


async def start(chaos: ChaosRun, **config: object) -> ClientAdapter:
    client = await chaos.client(**config)
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("trades", chaos.contract)
    await client.subscribe("user", ACCOUNT)
    return client


async def test_a_malformed_record_costs_one_reconnect_and_nothing_silently(chaos: ChaosRun) -> None:
    client = await start(chaos)
    await chaos.play(chaos.timeline(lambda rng: [Step(1.0, "server:malformed_message", "market", 0.5)]))
    await chaos.finish(client, settle_s=2.5 + chaos.allowance_s)
    chaos.check(
        [
            checks.detected_within(chaos.history, "server:malformed_message", 0.5),
            checks.recovered_within(
                chaos.history, 3.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.no_silent_loss(chaos.history),
            checks.untouched(chaos.history, "user"),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_duplicated_messages_are_dropped_not_delivered_twice(chaos: ChaosRun) -> None:
    client = await start(chaos)
    await chaos.play(chaos.timeline(lambda rng: [Step(0.5, "server:duplicate_messages", "both", 2.0)]))
    await chaos.finish(client, settle_s=1.0)
    dropped = (  # the reference client counts what it dropped: proof the fault was there
        [checks.counter_between(chaos.history, "duplicates_dropped", 10, 10**6)]
        if client.name.startswith("reference")
        else []
    )
    chaos.check(
        [
            checks.no_duplicate_delivery(chaos.history),
            *dropped,
            checks.no_silent_loss(chaos.history),
            checks.untouched(chaos.history, "market"),
        ]
    )


async def test_records_split_across_frames_are_reassembled(chaos: ChaosRun) -> None:
    client = await start(chaos)
    await chaos.play(
        chaos.timeline(
            lambda rng: [Step(0.5, "server:split_frames", "both", 2.0, {"size": rng.randint(3, 17)})]
        )
    )
    await chaos.finish(client, settle_s=1.5)
    chaos.check(
        [
            checks.no_silent_loss(chaos.history),
            checks.untouched(chaos.history, "market"),
            checks.counter_between(chaos.history, "seq_gaps", 0, 0),
            # a hub whose reader died on a split record says connected, and the streams are gone
            checks.no_silent_stall(chaos.history, {"GatewayQuote": [chaos.contract]}, 1.5),
        ]
    )


async def test_r8_r14_a_handshake_that_never_comes_fails_each_attempt_in_time_then_recovers(
    chaos: ChaosRun,
) -> None:
    client = await start(chaos)
    steps = [
        Step(0.5, "server:slow_handshake", "market", 4.0, {"delay_s": 30}),  # every new handshake hangs
        Step(1.0, "server_abort", "market"),  # and the live connection drops
    ]
    await chaos.play(chaos.timeline(lambda rng: steps))
    await chaos.finish(client, settle_s=4.0 + chaos.allowance_s)
    market = [(e["t"], e["data"]["to"]) for e in chaos.history.client_events("state") if e["hub"] == "market"]
    lost = next((t for t, state in market if state == "reconnecting"), None)  # None: never said so
    back = next((t for t, state in market if state == "connected" and lost is not None and t > lost), None)
    outage = None if back is None or lost is None else back - lost
    chaos.check(
        [
            # handshakes hang for 30 s: only attempts cut at the 3 s connect timeout can come back this soon
            checks.Verdict(
                "attempts_bounded_by_connect_timeout",
                outage is not None and outage < 10 + chaos.allowance_s,
                f"market back after {outage} s (bound {10 + chaos.allowance_s:g} s)",
            ),
            checks.recovered_within(
                chaos.history, 4.0 + 3.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.untouched(chaos.history, "user"),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r17_the_market_hub_going_away_leaves_the_user_hub_alone(chaos: ChaosRun) -> None:
    client = await start(chaos)
    await chaos.play(chaos.timeline(lambda rng: [Step(1.0, "server:hub_down", "market", 2.0)]))
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    chaos.check(
        [
            checks.detected_within(chaos.history, "server:hub_down", 0.5),
            checks.recovered_within(
                chaos.history, 3.5 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.untouched(chaos.history, "user"),
            checks.no_silent_loss(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r2_pings_that_stop_on_an_idle_hub_are_noticed_without_a_heartbeat_and_harmless_with_one(
    chaos: ChaosRun,
) -> None:
    quiet = await chaos.client(server_timeout_s=1.5, heartbeat=HeartbeatPolicy(method=None))
    checked = await chaos.client(server_timeout_s=30.0)
    await quiet.connect()
    await checked.connect()
    await chaos.play(chaos.timeline(lambda rng: [Step(0.5, "server:stop_pings", "user", 2.5)]))
    quiet_user = [
        e["data"]["reason"]
        for e in chaos.history.client_events("state")
        if e["hub"] == "user" and e["data"]["from"] == "connected"
    ]
    await quiet.close()
    checked_user = checked.state("user")
    heartbeat_failures = checked.status().get("metrics", {}).get("counters", {}).get("heartbeat_failures", 0)
    await chaos.finish(checked, settle_s=1.5)
    chaos.check(
        [
            checks.Verdict(
                "silent_user_hub_noticed",
                bool(quiet_user),
                f"user losses: {quiet_user}",
            ),
            checks.Verdict(
                "no_false_alarm_with_heartbeat",
                checked_user == "connected" and heartbeat_failures == 0,
                f"the hub answers heartbeats: it is alive (user {checked_user}, {heartbeat_failures} heartbeat failures)",
            ),
        ]
    )
