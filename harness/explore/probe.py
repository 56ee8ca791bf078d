"""One example, run for real: the simulator, a Toxiproxy proxy per hub and the client under test
(a ``ChaosRun``), the example's callbacks, subscriptions, faults and client actions, then the whole
invariant set (``harness/chaos/session.py``: it holds for any timeline, so that a failure is the
client's; unknown verdicts never count as failures).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import abc
from dataclasses import dataclass
from pathlib import Path

from ..chaos import ChaosRun
from ..chaos.session import STREAMS, Bounds, end_session, judge, open_session
from ..clients.adapters import ClientAdapter
from ..infra.toxiproxy import ToxiproxyHung
from ..run.verdicts import Verdict
from .vocabulary import Example

SLEEP_S = 0.005  # a "sleep" callback's time per event: slow, not a stall (40+ events a second)


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
        directory.name,
        example.seed,
        directory,
        toxiproxy_url,
        client=client,
        replay_command=replay_command,
        title=f"Generated example: {example.describe()}",
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
    callbacks = [
        (kind, does, {"seconds": SLEEP_S} if does == "sleep" else {}) for kind, does in example.callbacks
    ]
    client, streams = await open_session(run, example.contracts, STREAMS, callbacks)
    contracts = run.contracts[: example.contracts]
    await asyncio.gather(run.play(example.timeline()), _act(client, example, contracts))
    return judge(await end_session(run, client, streams, Bounds()))


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
