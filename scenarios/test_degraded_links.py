"""Links that work badly but work: latency spikes, bandwidth starvation, sliced frames, links that
keep dying after a few kilobytes. The client must ride through the first three and recover from
the last, losing nothing silently."""

from __future__ import annotations

import pytest

from harness.chaos import ACCOUNT, ChaosRun
from harness.clients.adapters import ClientAdapter
from harness.run import checks
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos


async def start(chaos: ChaosRun) -> ClientAdapter:
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("trades", chaos.contract)
    await client.subscribe("depth", chaos.contract)
    await client.subscribe("user", ACCOUNT)
    return client


async def test_latency_spikes_below_the_timeouts_are_ridden_through(chaos: ChaosRun) -> None:
    client = await start(chaos)

    def spikes(rng: object) -> list[Step]:
        import random

        assert isinstance(rng, random.Random)
        at, steps = 0.5, []
        for _ in range(3):  # three spikes of 100-300 ms each way, seeded
            steps.append(Step(round(at, 2), "latency", "both", 0.6, {"ms": rng.randint(100, 300)}))
            at += 0.6 + rng.uniform(0.2, 0.5)
        return steps

    await chaos.play(chaos.timeline(spikes))
    await chaos.finish(client, settle_s=1.5)
    chaos.check(
        [
            checks.no_silent_loss(chaos.history),
            checks.untouched(chaos.history, "market"),
            checks.untouched(chaos.history, "user"),
            checks.counter_between(chaos.history, "seq_gaps", 0, 0),
        ]
    )


async def test_sliced_frames_are_reassembled_without_loss(chaos: ChaosRun) -> None:
    client = await start(chaos)
    await chaos.play(
        chaos.timeline(lambda rng: [Step(0.5, "slicer", "both", 2.0, {"size": 40, "delay_us": 0})])
    )
    await chaos.finish(client, settle_s=1.0)
    chaos.check(
        [
            checks.no_silent_loss(chaos.history),
            checks.untouched(chaos.history, "market"),
            checks.counter_between(chaos.history, "seq_gaps", 0, 0),
        ]
    )


async def test_bandwidth_starvation_ends_in_recovery_without_silent_loss(chaos: ChaosRun) -> None:
    client = await start(chaos)
    await chaos.play(chaos.timeline(lambda rng: [Step(0.5, "bandwidth", "market", 2.5, {"kbps": 1})]))
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    chaos.check(
        [
            checks.no_silent_loss(chaos.history),
            checks.recovered_within(
                chaos.history, 4.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.untouched(chaos.history, "user"),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_a_link_that_dies_after_each_few_kilobytes_is_reconnected_each_time(chaos: ChaosRun) -> None:
    client = await start(chaos)
    await chaos.play(
        chaos.timeline(
            lambda rng: [Step(0.5, "cut_after", "market", 3.0, {"bytes": rng.randint(8000, 16000)})]
        )
    )
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    chaos.check(
        [
            checks.no_silent_loss(chaos.history),
            checks.recovered_within(
                chaos.history, 4.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.counter_between(chaos.history, "reconnects", 1, 100),
            checks.no_duplicate_subscriptions(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )
