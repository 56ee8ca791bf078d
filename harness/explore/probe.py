"""One example, run for real: the simulator, a Toxiproxy proxy per hub and the client under test
(a ``ChaosRun``), the example's callbacks, subscriptions, faults and client actions, then the whole
invariant set.

The invariants hold for any timeline, so that a failure is the client's: every loss reported, no
event twice, both hubs connected at the end and every loss recovered (within ``RECOVERY_S`` plus
the client kind's fixed reconnect allowance, counted from the fault clearing), no stream silent on
a hub the client calls connected, the server holding exactly the subscriptions the client
intends, no duplicate subscribe on a connection, no task left over, a prompt close, the token in
no URL and no log. Unknown verdicts (what the client cannot report) never count as failures.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import abc
from dataclasses import dataclass
from pathlib import Path

from ..chaos import ACCOUNT, ChaosRun
from ..clients.adapters import ClientAdapter
from ..infra.toxiproxy import ToxiproxyHung
from ..run import checks
from ..run.verdicts import Verdict
from .vocabulary import STREAMS, Example

RECOVERY_S = 6.0  # after a fault clears: the reference client is back in ~1-4 s (backoff max 1 s)
STALL_WINDOW_S = 1.5  # the scaled market streams run at 5-20 events a second per contract
SLEEP_S = 0.005  # a "sleep" callback's time per event: slow, not a stall (40+ events a second)
TARGETS = {"quotes": "GatewayQuote", "trades": "GatewayTrade", "depth": "GatewayDepth"}


@dataclass(frozen=True, slots=True)
class Probe:
    """What one run of an example showed: its verdicts, how long it took, where its report is."""

    verdicts: tuple[Verdict, ...]
    took_s: float
    directory: Path
    # Why the run could not be judged (Toxiproxy hung under it): no verdicts then, and it is no
    # finding about the client.
    harness_error: str | None = None

    def failed(self, ignore: abc.Collection[str] = ()) -> list[Verdict]:
        """The failed verdicts, in the invariant set's order, but those in ``ignore``."""
        return [v for v in self.verdicts if v.failed and v.name not in ignore]

    def primary(self, ignore: abc.Collection[str] = ()) -> str | None:
        """The invariant this run is taken to fail (the first failed one), or None."""
        failed = self.failed(ignore)
        return failed[0].name if failed else None


async def probe(
    example: Example,
    *,
    client: str,
    toxiproxy_url: str,
    directory: Path,
    replay_command: str = "",
    timeout_s: float = 90.0,
) -> Probe:
    """Run ``example`` against ``client``; a run that does not finish within ``timeout_s`` fails
    ``example_finished`` (the client, or what it waits for, hung)."""
    started = time.monotonic()
    run = ChaosRun(
        directory.name, example.seed, directory, toxiproxy_url, client=client, replay_command=replay_command
    )
    try:
        async with asyncio.timeout(timeout_s):
            async with run:
                verdicts = await _play(run, example)
                run.record(verdicts)
    except TimeoutError:
        verdicts = [Verdict("example_finished", False, f"the run did not finish within {timeout_s:g} s")]
    except Exception as exc:  # only a hung Toxiproxy is kept: anything else is raised
        hung = _hung(exc)
        if hung is None:
            raise
        (directory / "timeline.json").write_text(_dumps(example))
        return Probe((), time.monotonic() - started, directory, harness_error=str(hung))
    (directory / "timeline.json").write_text(_dumps(example))
    return Probe(tuple(verdicts), time.monotonic() - started, directory)


def _hung(exc: BaseException) -> ToxiproxyHung | None:
    """The ``ToxiproxyHung`` behind ``exc`` (itself, or in an exception group), if any."""
    if isinstance(exc, ToxiproxyHung):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        return next((h for e in exc.exceptions if (h := _hung(e)) is not None), None)
    return None


def _dumps(example: Example) -> str:
    return json.dumps(example.to_json(), indent=2)


async def _play(run: ChaosRun, example: Example) -> list[Verdict]:
    client = await run.client()
    for kind, does in example.callbacks:
        await client.add_callback(kind, does, **({"seconds": SLEEP_S} if does == "sleep" else {}))
    await client.connect()
    await client.subscribe("user", ACCOUNT)
    contracts = run.contracts[: example.contracts]
    for contract in contracts:
        for stream in STREAMS:
            await client.subscribe(stream, contract)
    await asyncio.gather(run.play(example.timeline()), _act(client, example, contracts))
    streams = {TARGETS[s]: list(contracts) for s in STREAMS}
    bound = RECOVERY_S + run.allowance_s
    await _settle(run, client, streams, bound)
    held = await run.server_subscriptions("market")
    await run.finish(client, settle_s=1.0)
    wanted = sorted([target, contract] for target, keys in streams.items() for contract in keys)
    history = run.history
    return [
        checks.connected_at_end(history),
        checks.recovered_within(history, bound, streams),
        checks.no_silent_stall(history, streams, STALL_WINDOW_S),
        checks.no_silent_loss(history),
        checks.no_duplicate_delivery(history),
        Verdict(
            "server_set_equals_intended",
            sorted(held) == wanted,
            f"the market hub holds {len(held)} subscriptions, the client intends {len(wanted)}",
        ),
        checks.no_duplicate_subscriptions(history),
        checks.tasks_bounded(history, 20, at_end=True),
        checks.no_deadlock(history, 8.0),
        checks.token_never_in_url(history),
        checks.token_never_in_logs(history),
    ]


async def _act(client: ClientAdapter, example: Example, contracts: list[str]) -> None:
    """The example's client actions, each at its time (churn: off, then on again)."""

    async def churn(at_s: float, stream: str, contract: str, off_s: float) -> None:
        await asyncio.sleep(at_s)
        await client.unsubscribe(stream, contract)
        await asyncio.sleep(off_s)
        await client.subscribe(stream, contract)

    await asyncio.gather(
        *(churn(a.at_s, a.stream, contracts[a.contract], a.duration_s) for a in example.actions)
    )


async def _settle(
    run: ChaosRun, client: ClientAdapter, streams: dict[str, list[str]], bound_s: float
) -> None:
    """Wait (at most ``bound_s``) until both hubs are connected and every stream delivered again
    since the last fault cleared: a recovered client is judged at once, a stuck one after the bound."""
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
