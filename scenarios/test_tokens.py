"""Tokens: refreshed through the client's own API (R3), never in a URL or a log (R11).

A refresh is what a long-running client does before its token expires: log in again and hand the
new token to the realtime client (project-x-py: ``update_jwt_token``). It must answer in bounded
time whatever the hubs do, leave the streams flowing, and every connection after it must use the
new token. Clients without a refresh API leave these verdicts unknown."""

from __future__ import annotations

import asyncio
import time

import pytest

from harness.chaos import ACCOUNT, ChaosRun
from harness.clients.adapters import Outcome
from harness.run import checks
from harness.run.checks import Verdict
from harness.run.timeline import Step

pytestmark = pytest.mark.chaos

REFRESH_BOUND_S = 20.0  # past the 10 s a reconnecting refresh may wait for its hubs (project-x-py)


def refresh_verdict(name: str, outcome: Outcome | None, *, must_succeed: bool) -> Verdict:
    if outcome is None:
        return Verdict.unknown(name, "the client has no token refresh API")
    in_time = outcome.took_s <= REFRESH_BOUND_S
    ok = in_time and (outcome.ok or not must_succeed)
    said = "succeeded" if outcome.ok else f"failed ({outcome.detail})"
    return Verdict(name, ok, f"the refresh {said} after {outcome.took_s:.2f} s (bound {REFRESH_BOUND_S:g} s)")


@pytest.mark.smoke
async def test_r3_a_token_refreshed_through_the_client_keeps_the_streams_and_is_used_from_then_on(
    chaos: ChaosRun,
) -> None:
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    await client.subscribe("user", ACCOUNT)
    await asyncio.sleep(1.0)
    asked = time.time()  # the new token is judged from when the refresh was asked: a client may use it
    outcome = await client.refresh_token(within_s=REFRESH_BOUND_S + 5)  # before the call returns
    refreshed = asked if outcome is not None else float("inf")
    await chaos.finish(client, settle_s=3.0)
    chaos.check(
        [
            refresh_verdict("refresh_succeeded", outcome, must_succeed=True),
            checks.fresh_token_after(chaos.history, refreshed),
            checks.no_silent_stall(chaos.history, {"GatewayQuote": [chaos.contract]}, 2.0),
            checks.no_duplicate_subscriptions(chaos.history),
            checks.connected_at_end(chaos.history),
        ]
    )


async def test_r3_r8_a_refresh_while_no_negotiate_is_answered_returns_in_time(chaos: ChaosRun) -> None:
    """From 0.5 s on no negotiate is answered (for a minute), nor a WebSocket upgrade (for a client
    that skips negotiate): a refresh that reconnects the hubs to use its new token must still
    answer in bounded time, and ``close()`` too."""
    client = await chaos.client()
    await client.connect()
    await client.subscribe("quotes", chaos.contract)
    steps = [
        Step(0.5, "server:slow_negotiate", "both", 60.0, {"delay_s": 120}),
        Step(0.5, "server:slow_upgrade", "both", 60.0, {"delay_s": 120}),
    ]
    player = asyncio.create_task(chaos.play(chaos.timeline(lambda rng: steps)))
    await asyncio.sleep(1.0)
    outcome = await client.refresh_token(within_s=REFRESH_BOUND_S + 5)
    await chaos.finish(client, settle_s=0.5)
    player.cancel()  # the fault is cleared with everything else when the run ends
    await asyncio.gather(player, return_exceptions=True)
    chaos.check(
        [
            refresh_verdict("refresh_answered_in_time", outcome, must_succeed=False),
            checks.no_deadlock(chaos.history, 8.0),
        ]
    )


@pytest.mark.smoke
async def test_r11_the_token_is_never_in_a_url_or_a_log_even_when_connecting_fails(chaos: ChaosRun) -> None:
    """The market hub refuses connections for the first 2 s, so the first connect fails at the
    transport (where error messages quote the URL they failed on); then it connects."""
    client = await chaos.client()
    player = asyncio.create_task(chaos.play(chaos.timeline(lambda rng: [Step(0.0, "refuse", "market", 2.0)])))
    await asyncio.sleep(0.2)
    await client.connect(timeout_s=1.0)
    await player
    await client.connect(timeout_s=5.0)
    await client.subscribe("quotes", chaos.contract)
    await chaos.finish(client, settle_s=1.0)
    chaos.check([checks.token_never_in_url(chaos.history), checks.token_never_in_logs(chaos.history)])
