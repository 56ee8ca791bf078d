"""Reconnect policy under a long outage (R4) and callbacks that reach back into the client while
faults happen (R7)."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from client import BackoffPolicy
from harness.chaos import ChaosRun
from harness.infra.sim_control import SimulatorControl
from harness.run import checks
from harness.run.checks import Verdict
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos


async def test_r4_a_herd_of_clients_backs_off_with_jitter_and_one_told_to_gives_up(chaos: ChaosRun) -> None:
    herd = [
        await chaos.client(seed=chaos.seed + n, backoff=BackoffPolicy(initial_s=0.2, max_s=1.0))
        for n in range(8)
    ]
    quitter = await chaos.client(backoff=BackoffPolicy(initial_s=0.1, max_s=0.2, max_attempts=3))
    await asyncio.gather(*(client.connect() for client in [*herd, quitter]))
    await chaos.play(chaos.timeline(lambda rng: [Step(0.5, "refuse", "market", 4.0)]))
    await asyncio.sleep(3.0 + chaos.allowance_s)  # the herd reconnects once the market is back
    requests = await _requests(chaos)
    attempts = checks.connect_attempts(requests, "market")
    outage_start = chaos.history.faults[0]["t"]
    retries = sorted(t - outage_start for t in attempts if t > outage_start)
    firsts = retries[: len(herd)]
    quitter_state = quitter.state("market")
    for client in [*herd[1:], quitter]:
        await client.close()
    await chaos.finish(herd[0], settle_s=0.5)
    spread = statistics.pstdev(firsts) if len(firsts) > 1 else 0.0
    quitter_failed = (
        Verdict(
            "quitter_failed_visibly", quitter_state == "failed", f"max_attempts=3 client is {quitter_state}"
        )
        if checks.reports_state(chaos.history, "failed")
        else Verdict.unknown("quitter_failed_visibly", "the client has no failed state to report")
    )
    chaos.check(
        [
            Verdict(
                "herd_spread_out",
                spread > 0.03,
                f"first retries {[round(t, 2) for t in firsts]}, stdev {spread:.3f} s",
            ),
            Verdict(
                "capped_backoff",
                len(retries) <= len(herd) * (4.0 / 0.2 + 2),
                f"{len(retries)} market negotiates during the outage",
            ),
            quitter_failed,
            checks.recovered_within(chaos.history, 3.0 + chaos.allowance_s),
        ]
    )


async def _requests(chaos: ChaosRun) -> list[dict[str, object]]:
    async with SimulatorControl(chaos.simulator.url) as control:
        return await control.requests()


async def test_r7_callbacks_that_subscribe_and_register_during_faults_never_deadlock(chaos: ChaosRun) -> None:
    client = await chaos.client()
    await client.add_callback("quote", "reentrant", contract=chaos.contracts[1])
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    steps = [Step(1.0, "reset", "market", 0.3), Step(2.0, "latency", "market", 1.0, {"ms": 150})]
    await chaos.play(chaos.timeline(lambda rng: steps))
    await asyncio.sleep(2.0 + chaos.allowance_s)
    calls = client.callback_calls()
    await chaos.finish(client, settle_s=0.0)
    chaos.check(
        [
            Verdict("reentrant_calls_ran", calls >= 10, f"{calls} re-entrant dispatches"),
            checks.no_deadlock(chaos.history, 8.0),
            checks.counter_between(chaos.history, "callback_timeouts", 0, 2),
            checks.no_duplicate_subscriptions(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )


# How soon after a long outage a client must be back, beyond its own first-retry allowance. Not 4 s:
# topstep-sdk's doubling back-off (1, 2, 4, 8, 16 s from the drop) tries again 6.03 s after this
# outage ends, and a bound at 4 + its 2 s allowance made the verdict turn on 30 ms of load. A bound
# must not sit on a client's deterministic schedule; 6 s after a 25 s outage is "soon".
AFTER_OUTAGE_S = 5.0


async def test_r4_a_long_hub_outage_is_retried_with_backoff_until_the_hub_is_back(chaos: ChaosRun) -> None:
    """The market hub's TCP drops and for 25 s its negotiate and its WebSocket upgrade answer 503
    (a deployment): the client retries with growing gaps (not at a fixed pace), keeps trying for
    the whole outage, and is back, streaming, soon after it ends. (A client that skips negotiate
    meets the outage at the upgrade; one that negotiates, at negotiate.)"""
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    steps = [
        Step(1.0, "server:negotiate_status", "market", 25.0, {"status": 503}),
        Step(1.0, "server:upgrade_status", "market", 25.0, {"status": 503}),
        Step(1.0, "server_abort", "market"),
    ]
    await chaos.play(chaos.timeline(lambda rng: steps))
    back_within_s = AFTER_OUTAGE_S + chaos.allowance_s
    await chaos.finish(client, settle_s=back_within_s)
    start, end = (f["t"] for f in chaos.history.faults if f["fault"] == "server:negotiate_status")
    attempts = [t for t in checks.connect_attempts(chaos.history.requests, "market") if start <= t <= end]
    chaos.check(
        [
            checks.retries_back_off(attempts),
            checks.recovered_within(chaos.history, back_within_s, {"GatewayQuote": [chaos.contract]}),
            checks.connected_at_end(chaos.history),
        ]
    )
