"""Half-open and silent links (R2, R18): the server goes quiet with no FIN and no RST."""

from __future__ import annotations

import pytest

from client import HeartbeatPolicy
from harness.chaos import ChaosRun
from harness.run import checks
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos


async def run_half_open(chaos: ChaosRun, **config: object) -> None:
    client = await chaos.client(**config)
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("depth", chaos.contract)
    timeline = chaos.timeline(lambda rng: [Step(round(rng.uniform(0.8, 1.2), 2), "half_open", "market", 3.0)])
    await chaos.play(timeline)
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)


async def test_r2_half_open_market_link_is_caught_by_the_server_timeout(chaos: ChaosRun) -> None:
    await run_half_open(chaos, server_timeout_s=1.5, heartbeat=HeartbeatPolicy(method=None))
    chaos.check(
        [
            checks.detected_within(chaos.history, "half_open", 1.5 + 0.7),
            checks.recovered_within(
                chaos.history, 4.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.no_silent_loss(chaos.history),
            checks.untouched(chaos.history, "user"),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r18_a_silent_hub_is_caught_by_the_application_heartbeat(chaos: ChaosRun) -> None:
    await run_half_open(
        chaos, server_timeout_s=30.0, heartbeat=HeartbeatPolicy(interval_s=0.3, timeout_s=0.6)
    )
    chaos.check(
        [
            checks.detected_within(chaos.history, "half_open", 0.3 + 0.6 + 0.7),  # far below the 30 s timeout
            checks.recovered_within(
                chaos.history, 4.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.no_silent_loss(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )
