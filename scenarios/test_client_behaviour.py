"""Failures that start in the client's own code path: callbacks that throw and churn (R6, R7, R9,
T8), subscription races during reconnects (R13, T7, T9), connecting to a hub that is down (R1, R8,
R14)."""

from __future__ import annotations

import asyncio
import random

import pytest

from client import CallbackPolicy
from harness.chaos import ACCOUNT, ChaosRun
from harness.infra import gateway
from harness.run import checks
from harness.run.checks import Verdict
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos


async def test_r6_r9_t8_a_throwing_callback_and_callback_churn_during_a_partition(chaos: ChaosRun) -> None:
    policy = CallbackPolicy(breaker_failures=3, breaker_cooldown_s=1.0, error_log_interval_s=1.0)
    client = await chaos.client(callbacks=policy)
    await client.add_callback("quote", "raise")  # a bug in someone's strategy
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("trades", chaos.contract)
    stop = asyncio.Event()

    async def churn() -> None:  # register and drop callbacks all through the run (T8)
        while not stop.is_set():
            handles = [await client.add_callback("trade", "noop") for _ in range(10)]
            await asyncio.sleep(0.02)
            for handle in handles:
                await client.remove_callback(handle)

    churner = asyncio.create_task(churn())
    await chaos.play(chaos.timeline(lambda rng: [Step(1.0, "partition", "market", 2.5)]))
    await asyncio.sleep(2.5)
    stop.set()
    await churner
    registered = client.callback_count("trade")
    await chaos.finish(client, settle_s=0.0)
    chaos.check(
        [
            checks.no_silent_loss(chaos.history),  # the recording callbacks never noticed the broken one
            checks.counter_between(chaos.history, "callback_errors", 3, 3 * 12),  # the breaker held it back
            checks.counter_between(chaos.history, "callbacks_skipped_open_breaker", 1, 10**6),
            checks.tasks_bounded(chaos.history, 20, at_end=True),  # none leaked by the failures
            Verdict(
                "callbacks_unregistered",
                registered <= 1 if client.name == "reference" else registered == 0,
                f"{registered} trade callbacks left (the reference client counts its recorder)",
            ),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r13_t7_t9_subscription_races_during_reconnects_converge(chaos: ChaosRun) -> None:
    steps = [
        Step(0.8, "reset", "market", 0.3),
        Step(2.0, "server_close", "market", params={"allow_reconnect": True}),
    ]
    await race_subscriptions(chaos, steps)


async def test_r13_t7_concurrent_subscription_changes_converge(chaos: ChaosRun) -> None:
    """The same churn with no fault at all: what the client alone does with racing calls."""
    await race_subscriptions(chaos, [])


async def race_subscriptions(chaos: ChaosRun, steps: list[Step]) -> None:
    """Three rounds of 200 concurrent subscribe/unsubscribe calls over random streams and contracts,
    then a storm (each contract's three streams switched on and off together ten times at once,
    ending on or off as the seed says), while ``steps`` play; then the server must hold exactly
    the set the calls intended (for a client without unsubscribe, every stream it subscribed). The
    storm makes a client that lets concurrent calls overtake each other end on the wrong set nearly
    every run, not one run in a few."""
    client = await chaos.client()
    await client.connect()
    await client.subscribe("user", ACCOUNT)
    rng = random.Random(chaos.seed)
    intended: dict[tuple[str, str], bool] = {}
    asked: set[tuple[str, str]] = set()  # every stream subscribed at least once

    async def churn() -> None:
        operations = []
        for _ in range(200):
            stream, contract, on = (
                rng.choice(("quotes", "trades", "depth")),
                rng.choice(chaos.contracts),
                rng.random() < 0.6,
            )
            intended[(stream, contract)] = on
            asked.update([(stream, contract)] if on else [])
            operations.append(
                client.subscribe(stream, contract) if on else client.unsubscribe(stream, contract)
            )
        await asyncio.gather(*operations, return_exceptions=True)

    async def storm() -> None:
        operations = []
        streams = ("quotes", "trades", "depth")
        for contract in chaos.contracts:
            on = rng.random() < 0.5
            for cycle in range(21 if on else 20):
                verb = client.subscribe if cycle % 2 == 0 else client.unsubscribe
                operations += [verb(stream, contract) for stream in streams]
            intended.update({(stream, contract): on for stream in streams})
            asked.update((stream, contract) for stream in streams)  # its first call subscribes
        await asyncio.gather(*operations, return_exceptions=True)

    player = asyncio.create_task(chaos.play(chaos.timeline(lambda _: steps)))
    for _ in range(3):
        await churn()
        await asyncio.sleep(0.4)
    await storm()
    await player
    await asyncio.sleep(2.0 + (chaos.allowance_s if steps else 0.0))  # after the last reconnect
    targets = gateway.STREAM_TARGETS
    cannot_unsubscribe = any(
        "unsupported" in str(e.get("error")) for e in chaos.history.client_events("unsubscribed")
    )
    if cannot_unsubscribe:  # no unsubscribe API (topstep-sdk): all it can intend is what it subscribed
        intended = dict.fromkeys(asked, True)
    if client.streams_per_contract:  # its API subscribes a contract's three streams together
        on_contracts = {c for (_, c), on in intended.items() if on}
        intended = {(s, c): True for c in on_contracts for s in targets}
    wanted = sorted([targets[s], c] for (s, c), on in intended.items() if on)
    held = await chaos.server_subscriptions("market")
    await chaos.finish(client, settle_s=0.5)
    chaos.check(
        [
            Verdict(
                "server_set_equals_intended",
                sorted(held) == wanted,
                f"held {len(held)}, intended {len(wanted)}"
                + (" (no unsubscribe: every stream it subscribed)" if cannot_unsubscribe else ""),
            ),
            Verdict(
                "no_duplicate_server_rows", len(held) == len({tuple(h) for h in held}), f"{len(held)} rows"
            ),
            checks.no_duplicate_subscriptions(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )


@pytest.mark.smoke
async def test_r1_r8_r14_connecting_to_a_hub_that_is_down_fails_in_time_and_tells_the_truth(
    chaos: ChaosRun,
) -> None:
    client = await chaos.client()
    player = asyncio.create_task(chaos.play(chaos.timeline(lambda rng: [Step(0.0, "refuse", "market", 3.0)])))
    await asyncio.sleep(0.2)
    outcome = await client.connect(timeout_s=1.0)
    state_during = client.state("market")
    await player
    back = await client.connect(timeout_s=5.0)  # the hub is back: connect() now succeeds
    await client.subscribe("quotes", chaos.contract)
    await chaos.finish(client, settle_s=1.0)
    market_states = [e["data"]["to"] for e in chaos.history.client_events("state") if e["hub"] == "market"]
    first_connected = market_states.index("connected") if "connected" in market_states else -1
    chaos.check(
        [
            Verdict(
                "connect_failed_in_time",
                not outcome.ok and outcome.took_s < 1.5,
                f"connect() said {'ok' if outcome.ok else 'failed'} ({outcome.detail!r}) after {outcome.took_s:.2f} s",
            ),
            Verdict(
                "state_told_the_truth",
                state_during in ("connecting", "reconnecting"),
                f"market was {state_during}",
            ),
            Verdict(
                "never_connected_while_down",
                first_connected >= 0
                and all(
                    e["t"] > chaos.history.faults[-1]["t"]
                    for e in chaos.history.client_events("state")
                    if e["hub"] == "market" and e["data"]["to"] == "connected"
                ),
                f"market states: {market_states}",
            ),
            Verdict(
                "connect_with_both_hubs_up_tells_the_truth",
                back.ok and back.took_s < 3.0,
                f"connect() said {'ok' if back.ok else 'failed'} ({back.detail!r}) after {back.took_s:.2f} s",
            ),
            checks.untouched(chaos.history, "user"),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r9_callbacks_whose_owners_are_gone_are_released_and_storage_is_bounded(
    chaos: ChaosRun,
) -> None:
    """200 quote callbacks are bound methods of objects nobody else keeps: a client that holds them
    strongly keeps 200 dead objects alive. Then 1,500 trade callbacks are registered and never
    removed: a client with no limit stores them all. (Trades are subscribed too: a client that
    keeps market callbacks per subscribed contract, projectx-sdk, takes them only then.)"""
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("trades", chaos.contract)
    await asyncio.sleep(0.5)
    before = stored_callbacks(chaos)
    for _ in range(200):
        await client.add_callback("quote", "owned")
    await asyncio.sleep(1.0)
    after_owned = stored_callbacks(chaos)
    for _ in range(1500):
        await client.add_callback("trade", "noop")
    await asyncio.sleep(1.0)
    after_kept = stored_callbacks(chaos)
    await chaos.finish(client, settle_s=0.5)
    if before is None or after_owned is None or after_kept is None:
        why = "the client does not count the callbacks it stores"
        verdicts = [Verdict.unknown(n, why) for n in ("dropped_owners_released", "callback_storage_bounded")]
    else:
        verdicts = [
            Verdict(
                "dropped_owners_released",
                after_owned <= before,
                f"{after_owned - before} of 200 callbacks of dropped objects still stored",
            ),
            Verdict(
                "callback_storage_bounded",
                after_kept - after_owned <= 1000,
                f"{after_kept - after_owned} of 1,500 trade callbacks stored (at most 1,000 wanted)",
            ),
        ]
    chaos.check([*verdicts, checks.connected_at_end(chaos.history)])


def stored_callbacks(chaos: ChaosRun) -> int | None:
    """How many callbacks the client says it stores now (its latest metrics sample)."""
    samples = [e.get("callbacks") for e in chaos.history.client_events("metrics")]
    return samples[-1] if samples and samples[-1] is not None else None
