"""The standard session that explore examples and incident scenarios share: the client connects,
subscribes the user hub and every stream of N contracts, lives through a timeline, settles, closes,
and is judged by one invariant set that holds for *any* timeline (so a failure is the client's).

    client, streams = await open_session(run, contracts=2)
    await run.play(timeline)
    ending = await end_session(run, client, streams, Bounds())
    verdicts = judge(ending)               # all of INVARIANTS, in their order
    verdicts = judge(ending, ["recovered", "no_silent_loss"])

The invariants: both hubs connected at the end; every loss recovered (within ``recovery_s`` plus
the client kind's fixed reconnect allowance, counted from the fault clearing) and resubscribed; no
stream silent on a hub the client calls connected; every loss reported; no event twice; the
server holding exactly the subscriptions the client intends; no duplicate subscribe on a
connection; no task left over; a prompt close; the token in no URL and no log. Unknown verdicts
(what the client cannot report) never count as failures.
"""

from __future__ import annotations

import asyncio
import time
from collections import abc
from dataclasses import dataclass
from typing import Any

from ..clients.adapters import ClientAdapter
from ..infra import gateway
from ..run import checks
from ..run.history import RunHistory
from ..run.verdicts import Verdict
from .run import ACCOUNT, ChaosRun

STREAMS = ("quotes", "trades", "depth")
TARGETS = gateway.STREAM_TARGETS


@dataclass(frozen=True, slots=True)
class Bounds:
    recovery_s: float = 6.0  # after a fault clears: the reference client is back in ~1-4 s (backoff max 1 s)
    stall_window_s: float = 1.5  # the scaled market streams run at 5-20 events a second per contract
    tasks: int = 20  # tasks left at the end
    close_s: float = 8.0  # close() returns within


@dataclass(frozen=True, slots=True)
class Ending:
    """What a session left for the invariants to judge."""

    history: RunHistory
    streams: dict[str, list[str]]  # target -> contracts the client intends
    held: list[list[Any]]  # what the market hub held just before the close
    recovery_s: float  # the bound, with the client kind's reconnect allowance
    bounds: Bounds


def _server_set(ending: Ending) -> Verdict:
    wanted = sorted([target, contract] for target, keys in ending.streams.items() for contract in keys)
    return Verdict(
        "server_set_equals_intended",
        sorted(ending.held) == wanted,
        f"the market hub holds {len(ending.held)} subscriptions, the client intends {len(wanted)}",
    )


# Name -> check, in the order a failure is named by (the first failed one). Names are the verdicts'.
INVARIANTS: dict[str, abc.Callable[[Ending], Verdict]] = {
    "connected_at_end": lambda e: checks.connected_at_end(e.history),
    "recovered": lambda e: checks.recovered_within(e.history, e.recovery_s, e.streams),
    "no_silent_stall": lambda e: checks.no_silent_stall(e.history, e.streams, e.bounds.stall_window_s),
    "no_silent_loss": lambda e: checks.no_silent_loss(e.history),
    "no_event_delivered_twice": lambda e: checks.no_duplicate_delivery(e.history),
    "server_set_equals_intended": _server_set,
    "no_duplicate_subscriptions": lambda e: checks.no_duplicate_subscriptions(e.history),
    "tasks_bounded": lambda e: checks.tasks_bounded(e.history, e.bounds.tasks, at_end=True),
    "no_deadlock": lambda e: checks.no_deadlock(e.history, e.bounds.close_s),
    "token_never_in_url": lambda e: checks.token_never_in_url(e.history),
    "token_never_in_logs": lambda e: checks.token_never_in_logs(e.history),
}
# The invariants a bound applies to, and the ``Bounds`` field it sets (scenario files name them so).
BOUND_OF = {
    "recovered": "recovery_s",
    "no_silent_stall": "stall_window_s",
    "tasks_bounded": "tasks",
    "no_deadlock": "close_s",
}


async def open_session(
    run: ChaosRun,
    contracts: int | abc.Sequence[str],
    streams: abc.Sequence[str] = STREAMS,
    callbacks: abc.Sequence[tuple[str, str, dict[str, Any]]] = (),
    client_config: abc.Mapping[str, Any] | None = None,
) -> tuple[ClientAdapter, dict[str, list[str]]]:
    """The client under test, its ``callbacks`` (kind, behaviour, parameters) added, connected,
    subscribed to the user hub's account and to ``streams`` of the first ``contracts`` contracts
    (or of those named); and what it subscribed (target -> contracts)."""
    client = await run.client(**(client_config or {}))  # the reference client's ClientConfig fields
    for kind, does, params in callbacks:
        await client.add_callback(kind, does, **params)
    await client.connect()
    await client.subscribe("user", ACCOUNT)
    chosen = run.contracts[:contracts] if isinstance(contracts, int) else list(contracts)
    for contract in chosen:
        for stream in streams:
            await client.subscribe(stream, contract)
    return client, {TARGETS[s]: list(chosen) for s in streams}


async def end_session(
    run: ChaosRun, client: ClientAdapter, streams: dict[str, list[str]], bounds: Bounds
) -> Ending:
    """Settle (a recovered client is judged at once, a stuck one after the recovery bound), read
    what the server holds, close the client and collect the server's side."""
    recovery_s = bounds.recovery_s + run.allowance_s
    await _settle(run, client, streams, recovery_s)
    held = await run.server_subscriptions("market")
    await run.finish(client, settle_s=1.0)
    return Ending(run.history, streams, held, recovery_s, bounds)


def judge(ending: Ending, invariants: abc.Iterable[str] | None = None) -> list[Verdict]:
    """The verdicts of ``invariants`` (default: all), in ``INVARIANTS``'s order."""
    chosen = set(INVARIANTS if invariants is None else invariants)
    return [check(ending) for name, check in INVARIANTS.items() if name in chosen]


async def _settle(
    run: ChaosRun, client: ClientAdapter, streams: dict[str, list[str]], bound_s: float
) -> None:
    """Wait (at most ``bound_s``) until both hubs are connected and every stream delivered again
    since the last fault cleared."""
    since = max((f["t"] for f in run.history.faults), default=time.time())
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if all(client.state(hub) == "connected" for hub in ("user", "market")) and all(
            any(
                e.get("target") == target and e.get("key") == key and e["t"] > since
                for e in run.history.client
            )
            for target, keys in streams.items()
            for key in keys
        ):
            return
        await asyncio.sleep(0.1)
