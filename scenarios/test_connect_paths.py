"""Connecting when the server does not play along: a negotiate that never answers (R8), a hub that
drops while ``connect()`` waits for it (R14), a handshake the hub rejects (R1). Every public
operation must answer in bounded time, and a hub is never reported connected before it is."""

from __future__ import annotations

import asyncio

import pytest

from harness.chaos import ChaosRun
from harness.run import checks
from harness.run.checks import Verdict
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos

# connect() may take the client's own wait (project-x-py: 10 s) but not longer: past this it hangs.
CONNECT_BOUND_S = 12.0


def answered(name: str, outcome: object, took_s: float, bound_s: float) -> Verdict:
    return Verdict(name, took_s <= bound_s, f"answered after {took_s:.2f} s (bound {bound_s:g} s): {outcome}")


async def test_r8_connecting_while_a_negotiate_never_answers_returns_in_time_then_recovers(
    chaos: ChaosRun,
) -> None:
    """The user hub's negotiate is accepted and never answered for 8 s: ``connect()`` must give up
    on its own, the client must stay usable (``close()`` answers), and once negotiates are
    answered again the hub must come up (its attempt was not left hanging for ever). A client that
    skips negotiate meets the same hang at its WebSocket upgrade, held just as long."""
    client = await chaos.client()
    steps = [
        Step(0.0, "server:slow_negotiate", "user", 8.0, {"delay_s": 120}),
        Step(0.0, "server:slow_upgrade", "user", 8.0, {"delay_s": 120}),
    ]
    player = asyncio.create_task(chaos.play(chaos.timeline(lambda rng: steps)))
    await asyncio.sleep(0.2)
    first = await client.connect(timeout_s=2.0)
    await player
    again = await client.connect(timeout_s=6.0)  # an attempt begun in the fault may run its timeout out
    await chaos.finish(client, settle_s=1.0)
    chaos.check(
        [
            answered("connect_answered_in_time", first.detail, first.took_s, CONNECT_BOUND_S),
            Verdict(
                "connected_once_negotiates_answer",
                again.ok,
                f"connect() after the fault said {'ok' if again.ok else 'failed'} ({again.detail!r})",
            ),
            checks.no_deadlock(chaos.history, 8.0),
        ]
    )


async def test_r14_a_hub_dropping_while_connect_waits_does_not_hold_connect(chaos: ChaosRun) -> None:
    """The market hub drops 0.3 s after it first comes up, while ``connect()`` is still waiting
    for both hubs: ``connect()`` answers within its bound, and the hub is back by the end."""
    client = await chaos.client()
    steps = [Step(0.3, "server_abort", "market", on="market:connected#1")]
    player = asyncio.create_task(chaos.play(chaos.timeline(lambda rng: steps)))
    outcome = await client.connect(timeout_s=3.0)
    await player
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    chaos.check(
        [
            answered("connect_answered_in_time", outcome.detail, outcome.took_s, CONNECT_BOUND_S),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r1_a_hub_whose_handshake_is_rejected_is_never_reported_connected(chaos: ChaosRun) -> None:
    """For 3 s the user hub answers every handshake with an error and holds the socket 1 s before
    closing it: the client must never call the user hub connected meanwhile, and must connect it
    on its own once handshakes are accepted again."""
    client = await chaos.client()
    params = {"error": "The protocol 'json' is not supported.", "close_after_s": 1.0}
    steps = [Step(0.0, "server:reject_handshake", "user", 3.0, params)]
    player = asyncio.create_task(chaos.play(chaos.timeline(lambda rng: steps)))
    await asyncio.sleep(0.2)
    await client.connect(timeout_s=2.0)
    await player
    await chaos.finish(client, settle_s=3.0 + chaos.allowance_s)
    cleared = next(f["t"] for f in chaos.history.faults if f["action"] == "clear")
    early = [
        e["t"]
        for e in chaos.history.client_events("state")
        if e["hub"] == "user" and e["data"]["to"] == "connected" and e["t"] < cleared
    ]
    chaos.check(
        [
            Verdict(
                "never_connected_while_rejected",
                not early,
                f"user reported connected {len(early)} time(s) while every handshake was rejected",
            ),
            checks.connected_at_end(chaos.history),
        ]
    )
