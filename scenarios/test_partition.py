"""Network partitions between the client and one hub (T4): both directions silent, sockets open."""

from __future__ import annotations

import pytest

from harness.chaos import ACCOUNT, ChaosRun
from harness.run import checks
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos


@pytest.mark.smoke
async def test_partition_of_the_market_hub_is_detected_and_healed_with_no_silent_loss(
    chaos: ChaosRun,
) -> None:
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("trades", chaos.contract)
    await client.subscribe("user", ACCOUNT)
    timeline = chaos.timeline(
        lambda rng: [
            Step(round(rng.uniform(0.8, 1.2), 2), "partition", "market", round(rng.uniform(2.5, 3.5), 2))
        ]
    )
    await chaos.play(timeline)
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    chaos.check(
        [
            checks.detected_within(chaos.history, "partition", 2.0 + 0.5),
            checks.recovered_within(
                chaos.history, 4.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.no_silent_loss(chaos.history),
            checks.untouched(chaos.history, "user"),
            checks.connected_at_end(chaos.history),
            checks.no_duplicate_subscriptions(chaos.history),
            checks.token_never_in_url(chaos.history),
            checks.no_deadlock(chaos.history, 8.0),
        ]
    )


async def test_a_second_fault_right_after_the_first_recovery_is_recovered_too(chaos: ChaosRun) -> None:
    """T9: the state changes again while the client is resubscribing (an event-triggered step)."""
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("depth", chaos.contract)
    steps = [
        Step(1.0, "partition", "market", 2.0, {"heal": "drop"}),
        # 50 ms after the first reconnect, while it resubscribes, the server drops the connection
        Step(0.05, "server_abort", "market", params={"reset": True}, on="market:connected#2"),
    ]
    await chaos.play(chaos.timeline(lambda rng: steps))
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    chaos.check(
        [
            checks.recovered_within(
                chaos.history, 4.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.counter_between(chaos.history, "reconnects", 2, 10),
            checks.no_silent_loss(chaos.history),
            checks.no_duplicate_subscriptions(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )
