"""What only the server can do: Close messages with and without allowReconnect (R12), tokens that
expire under load (R3, T6), bursts far above the consumer's speed (R5, R15, R16, T1)."""

from __future__ import annotations

import asyncio

import pytest

from client import DispatchPolicy
from harness.chaos import ACCOUNT, ChaosRun
from harness.run import checks
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos


async def test_r12_a_close_allowing_reconnect_reconnects(chaos: ChaosRun) -> None:
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    params = {"error": "Server is restarting", "allow_reconnect": True}
    await chaos.play(chaos.timeline(lambda rng: [Step(1.0, "server_close", "market", params=params)]))
    await chaos.finish(client, settle_s=2.5 + chaos.allowance_s)
    chaos.check(
        [
            checks.detected_within(chaos.history, "server_close", 0.5),
            checks.recovered_within(
                chaos.history, 3.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.no_silent_loss(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r12_a_close_refusing_reconnect_fails_visibly_and_spares_the_other_hub(chaos: ChaosRun) -> None:
    """The server closes the market hub with an error and ``allowReconnect: false``: the client
    must fail that hub visibly with the server's reason, make no attempt to come back (as the
    server sees it, whatever the client can report), and leave the user hub alone."""
    client = await chaos.client()
    await client.connect()
    await client.subscribe("user", ACCOUNT)
    params = {"error": "Account suspended", "allow_reconnect": False}
    await chaos.play(chaos.timeline(lambda rng: [Step(1.0, "server_close", "market", params=params)]))
    # Long enough for the client's own first reconnect to show, had it made one.
    await chaos.finish(client, settle_s=1.5 + chaos.allowance_s)
    closed = next(f["t"] for f in chaos.history.faults if f["fault"] == "server_close")
    chaos.check(
        [
            checks.failed_visibly(chaos.history, "market", "Account suspended"),
            checks.stayed_away(chaos.history, "market", closed),
            checks.untouched(chaos.history, "user"),
            checks.no_deadlock(chaos.history, 8.0),
        ]
    )


@pytest.mark.smoke
async def test_r3_t6_tokens_expiring_under_load_are_replaced_on_reconnect(chaos: ChaosRun) -> None:
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("trades", chaos.contract)
    await client.subscribe("user", ACCOUNT)
    steps = [
        Step(0.5, "burst", "market", params={"factor": 10, "duration": 3}),
        Step(1.0, "expire_tokens", "market"),
        Step(1.1, "server_abort", "both"),
    ]
    await chaos.play(chaos.timeline(lambda rng: steps))
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    expired = next(f["t"] for f in chaos.history.faults if f["fault"] == "expire_tokens")
    chaos.check(
        [
            checks.recovered_within(
                chaos.history, 4.0 + chaos.allowance_s, {"GatewayQuote": [chaos.contract]}
            ),
            checks.no_silent_loss(chaos.history),
            checks.token_never_in_url(chaos.history),
            checks.connected_at_end(chaos.history),
            checks.fresh_token_after(chaos.history, expired),
        ]
    )


async def test_r5_r15_r16_t1_a_burst_past_a_slow_consumer_stays_bounded_and_nothing_is_lost_silently(
    chaos: ChaosRun,
) -> None:
    client = await chaos.client(dispatch=DispatchPolicy(trade_queue=200, depth_queue=200, user_queue=50))
    for kind in ("trade", "depth"):
        await client.add_callback(kind, "sleep", seconds=0.002)
    await client.connect()
    for stream in ("quotes", "trades", "depth"):
        for contract in chaos.contracts:
            await client.subscribe(stream, contract)
    await client.subscribe("user", ACCOUNT)
    # The burst's step lasts as long as the burst, so the client is judged after the flood, not in
    # it: messages still in flight when the client closes are not its losses.
    burst = Step(0.5, "burst", "market", duration_s=3.0, params={"factor": 60, "duration": 3})
    await chaos.play(chaos.timeline(lambda rng: [burst]))
    await chaos.finish(client, settle_s=2.0)
    burst_start = chaos.history.faults[0]["t"]
    chaos.check(
        [
            checks.no_silent_loss(chaos.history),
            checks.queues_bounded(chaos.history, 200 + 200 + 50 + len(chaos.contracts) + 10),
            checks.tasks_bounded(chaos.history, 20, growth_after=burst_start),
            checks.untouched(chaos.history, "user"),
            checks.no_deadlock(chaos.history, 8.0),
        ]
    )


@pytest.mark.smoke
async def test_r12_a_subscription_the_hub_refuses_is_reported_not_swallowed(chaos: ChaosRun) -> None:
    """The market hub answers subscriptions with an error Completion (a hub method that throws):
    the client must tell its caller, not log it at debug level and report success."""
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    methods = ["SubscribeContractQuotes", "SubscribeContractTrades", "SubscribeContractMarketDepth"]
    params = {"methods": methods, "error": "Contract is not available"}
    steps = [Step(0.0, "server:error_completions", "market", 3.0, params)]
    player = asyncio.create_task(chaos.play(chaos.timeline(lambda rng: steps)))
    await asyncio.sleep(0.5)
    said = await client.subscribe("quotes", chaos.contracts[1])
    await player
    await chaos.finish(client, settle_s=0.5)
    chaos.check(
        [
            checks.Verdict(
                "refusal_reported",
                not said,
                f"subscribe() during the refusal said {'it worked' if said else 'it failed'}",
            ),
            checks.untouched(chaos.history, "market"),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r15_a_burst_through_the_clients_batching_path_is_delivered_and_bounded(
    chaos: ChaosRun,
) -> None:
    """The client's batching path on, as its docs say to turn it on (project-x-py:
    ``enable_batching()``; clients with one dispatch path run it), under a 20x burst: every message
    is delivered or reported, and what waits stays under a bound."""
    client = await chaos.client(batching=True)
    await client.connect()
    for stream in ("quotes", "trades", "depth"):
        for contract in chaos.contracts:
            await client.subscribe(stream, contract)
    burst = Step(0.5, "burst", "market", duration_s=3.0, params={"factor": 20, "duration": 3})
    await chaos.play(chaos.timeline(lambda rng: [burst]))
    await chaos.finish(client, settle_s=2.0)
    chaos.check(
        [
            checks.no_silent_loss(chaos.history),
            checks.queues_bounded(chaos.history, 30_000),  # 3 x the SDK's own 10,000-item deques
            checks.connected_at_end(chaos.history),
        ]
    )
