"""One hub down while the other lives (R17, T5), and resets (TCP RST) of one hub."""

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
    await client.subscribe("user", ACCOUNT)
    return client


@pytest.mark.parametrize(("down", "alive"), [("market", "user"), ("user", "market")])
async def test_r17_one_hub_down_leaves_the_other_streaming(chaos: ChaosRun, down: str, alive: str) -> None:
    client = await start(chaos)
    timeline = chaos.timeline(lambda rng: [Step(1.0, "refuse", down, round(rng.uniform(1.5, 2.5), 2))])
    await chaos.play(timeline)
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    streams = {"GatewayQuote": [chaos.contract]} if down == "market" else {}
    chaos.check(
        [
            checks.detected_within(chaos.history, "refuse", 1.0),
            checks.recovered_within(chaos.history, 4.0 + chaos.allowance_s, streams),
            checks.untouched(chaos.history, alive),
            checks.no_silent_loss(chaos.history),
            checks.connected_at_end(chaos.history),
            checks.no_duplicate_subscriptions(chaos.history),
        ]
    )


async def test_reset_of_the_market_hub_reconnects_and_resubscribes(chaos: ChaosRun) -> None:
    client = await start(chaos)
    timeline = chaos.timeline(lambda rng: [Step(1.0, "reset", "market", 0.3)])
    await chaos.play(timeline)
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    chaos.check(
        [
            checks.detected_within(chaos.history, "reset", 1.0),
            checks.recovered_within(
                chaos.history, 3.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.untouched(chaos.history, "user"),
            checks.no_silent_loss(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )


@pytest.mark.smoke
async def test_after_the_hub_closes_and_comes_back_its_streams_resume(chaos: ChaosRun) -> None:
    """The market hub closes every connection (allowing reconnect) once; long enough after, the
    client has reconnected and its streams flow again: never "connected" and silent."""
    client = await start(chaos)
    steps = [Step(1.0, "server_close", "market", params={"allow_reconnect": True})]
    await chaos.play(chaos.timeline(lambda rng: steps))
    await chaos.finish(client, settle_s=4.0 + chaos.allowance_s)
    chaos.check(
        [
            checks.connected_at_end(chaos.history),
            checks.no_silent_stall(chaos.history, {"GatewayQuote": [chaos.contract]}, 2.0),
            checks.untouched(chaos.history, "user"),
        ]
    )
