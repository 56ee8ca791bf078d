"""One chaos scenario run: the simulator as a real process, one Toxiproxy proxy per hub, a client
adapter, a fault timeline, the merged history, verdicts and the report.

    async with ChaosRun("partition", seed, directory, toxiproxy_url, client="reference") as run:
        client = await run.client()
        await client.connect()
        await client.subscribe("quotes", run.contract)
        await run.play(run.timeline(lambda rng: [Step(1.0, "partition", "market", 1.5)]))
        await run.finish(client)
        run.check([checks.no_silent_loss(run.history), ...])

Everything started here is stopped in ``__aexit__``, also when the scenario fails; a failure's
message carries the seed and the command that replays the run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import shlex
import sys
import time
import zlib
from collections import abc
from pathlib import Path
from typing import Any, Self

from ..clients.adapters import ClientAdapter
from ..clients.registry import Site, client_kind
from ..infra import gateway
from ..infra.processes import SimulatorProcess
from ..infra.proxies import HubProxies
from ..infra.sim_control import SimulatorControl
from ..infra.toxiproxy import Toxiproxy, ToxiproxyError
from ..run import report
from ..run.findings import Claim, Judgement, enforce, judge
from ..run.history import RunHistory
from ..run.timeline import Player, Step, Timeline
from ..run.verdicts import Verdict

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]

ACCOUNT = gateway.ACCOUNT  # what scenarios subscribe the user hub to


class ChaosRun:
    def __init__(
        self,
        name: str,
        seed: int,
        directory: Path,
        toxiproxy_url: str,
        *,
        replay: Path | None = None,
        replay_command: str = "",
        simulator_flags: abc.Sequence[str] = (),
        client: str = "reference",
        claims: abc.Sequence[Claim] = (),
        title: str = "",
        about: str = "",
    ) -> None:
        self.name = name
        self.client_name = client
        self.claims = tuple(claims)  # what scenarios/findings says this client shows here
        self.judgement: Judgement | None = None
        self.kind = client_kind(client)
        # Added to recovery bounds and windows: see ClientEnv.reconnect_allowance_s.
        self.allowance_s = self.kind.reconnect_allowance_s
        self.verdict_statuses: dict[str, str] = {}  # each verdict's pass, fail or unknown, once checked
        self.seed = seed
        self.directory = directory
        self.replay = replay
        self.replay_command = replay_command
        self.rng = random.Random(seed)
        # What the report heads its page with: a title (else one said from ``name``) and what the
        # scenario is about (a test's docstring, an incident file's summary).
        about_run = {k: v for k, v in (("title", title), ("about", about)) if v}
        self.history = RunHistory(meta={"scenario": name, "seed": seed, "client": client, **about_run})
        self.toxiproxy = Toxiproxy(toxiproxy_url)
        self.simulator = SimulatorProcess(
            *gateway.SCALED_FLAGS,
            *self.kind.simulator_flags,
            "--seed", str(seed),
            "--history-file", str(directory / "send-history.jsonl"),
            *simulator_flags,
            log_path=directory / "simulator.log",
        )  # fmt: skip
        self.hub_proxies = HubProxies(self.toxiproxy)
        self.contracts: list[str] = []
        self._adapters: list[ClientAdapter] = []
        self._samplers: list[asyncio.Task[None]] = []
        self._checked = False
        self._via: str | None = None  # route_through

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in ("send-history.jsonl", "history.jsonl", "verdicts.json"):
            (self.directory / stale).unlink(missing_ok=True)
        await asyncio.to_thread(self.simulator.start)
        for name in await self.toxiproxy.proxies():  # a previous run's, if it could not clean up
            await self.toxiproxy.delete_proxy(name)
        await self.toxiproxy.reset()
        await self.hub_proxies.open(self.simulator.url)
        self.contracts = await gateway.contracts(self.simulator.url, await gateway.login(self.simulator.url))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for sampler in self._samplers:
            sampler.cancel()
        try:
            for adapter in self._adapters:
                await adapter.close()
            await self.hub_proxies.close()  # first: removing toxics would flush held data
            await self.toxiproxy.reset()
        except ToxiproxyError as error:
            log.error("toxiproxy did not clean up after %s: %s", self.name, error)
            self.history.meta["cleanup_error"] = str(error)
        finally:
            await self.toxiproxy.close()
            await asyncio.to_thread(self.simulator.stop)
            if not self._checked:  # the scenario failed before its checks: keep what there is
                self.history.meta["error"] = repr(exc[1]) if len(exc) > 1 else None
                report.write_scenario(self.directory, self.name, self.history, [], self.replay_command)

    @property
    def proxies(self) -> dict[str, str]:
        """Hub -> its Toxiproxy proxy's name."""
        return self.hub_proxies.names

    @property
    def proxy_urls(self) -> dict[str, str]:
        """Hub -> its URL through the proxy (what the client dials)."""
        return self.hub_proxies.urls

    @property
    def contract(self) -> str:
        return self.contracts[0]

    # -- the scenario's tools -------------------------------------------------------------------

    async def client(self, *, batching: bool = False, **reference_config: Any) -> ClientAdapter:
        """The client under test (``--client``, a kind of ``harness/clients/registry.py``), started
        and recording into the history.

        ``batching`` turns on a client's optional batching path the way its docs say to
        (project-x-py: ``enable_batching()``); clients with one dispatch path ignore it.
        ``reference_config`` tunes the reference client (``ClientConfig`` fields); other clients run
        as their users run them (they have no such knobs, or the harness sets the tightest they
        allow), so a scenario reads the same for every client."""
        adapter = await self.kind.adapter(self._site(), batching=batching, **reference_config)
        self._adapters.append(adapter)  # closed by __aexit__ even if it fails to start
        await adapter.start()
        self._samplers.append(asyncio.create_task(self._sample(adapter)))
        return adapter

    def route_through(self, url: str) -> None:
        """Clients started after this dial ``url`` for REST and both hubs: a proxy in front of the
        whole Gateway, as a capture (``python -m harness.capture``) is in production."""
        self._via = url.rstrip("/")

    def _site(self) -> Site:
        index = len(self._adapters)
        history = self.history.for_client(index)  # a herd's clients apart in the history
        if self._via is not None:
            hubs = {hub: f"{self._via}/hubs/{hub}" for hub in ("user", "market")}
            return Site(self._via, hubs, history, self.directory, self.seed, index)
        return Site(self.simulator.url, self.proxy_urls, history, self.directory, self.seed, index)

    async def _sample(self, adapter: ClientAdapter) -> None:
        while True:
            adapter.sample_metrics()
            await asyncio.sleep(0.1)

    def timeline(self, build: abc.Callable[[random.Random], list[Step]]) -> Timeline:
        """The scenario's faults: built from the seed, or read back from ``--chaos-replay``."""
        timeline = Timeline.load(self.replay) if self.replay else Timeline(self.seed, build(self.rng))
        timeline.save(self.directory / "timeline.json")
        return timeline

    async def play(self, timeline: Timeline) -> None:
        await Player(self.toxiproxy, self.proxies, self.simulator.url, self.history).play(timeline)

    async def server_subscriptions(self, hub: str) -> list[list[Any]]:
        """What the simulator holds now for the open connections of ``hub``, concatenated."""
        async with SimulatorControl(self.simulator.url) as control:
            rows = await control.connections(hub, open_only=True)
        return [sub for row in rows for sub in row.get("subscriptions", [])]

    async def finish(self, adapter: ClientAdapter, settle_s: float = 1.0) -> None:
        """Let the streams run ``settle_s`` more, then close the client and collect the server's side."""
        await asyncio.sleep(settle_s)
        adapter.sample_metrics()
        self.history.meta["end"] = time.time()
        started = time.monotonic()
        try:
            async with asyncio.timeout(10):
                adapter.status()
                await adapter.close()
            self.history.meta["close_s"] = time.monotonic() - started
        except TimeoutError:
            self.history.meta["close_s"] = None
        await self._collect()

    async def _collect(self) -> None:
        async with SimulatorControl(self.simulator.url, timeout_s=10) as control:
            self.history.requests = await control.requests()
            connections = await control.connections()
            self.history.meta["connections"] = {
                c["connectionId"]: {k: c.get(k) for k in ("hub", "openedAt", "closedAt", "close")}
                for c in connections
            }
            calls: dict[str, list[list[Any]]] = {}
            for connection in connections:
                record = await control.connection(connection["connectionId"])
                calls[connection["connectionId"]] = [
                    [m["target"], m.get("arguments", [])]
                    for m in record.get("messages", [])
                    if m.get("dir") == "in"
                    and m.get("type") == 1
                    and m.get("target") in gateway.SUBSCRIPTION_METHODS
                ]
            self.history.meta["subscribe_calls"] = calls
            history_file = await control.flush_history()  # everything sent so far is in the file now
        assert history_file is not None, "the simulator runs with --history-file"
        text = await asyncio.to_thread(Path(history_file).read_text)
        self.history.server = [json.loads(line) for line in text.splitlines() if line.strip()]

    def record(self, verdicts: list[Verdict]) -> Judgement:
        """Judge the verdicts by the client's claims and write the report, raising nothing (for a
        caller that judges the run itself, as explore does)."""
        self._checked = True
        judgement = self.judgement = judge(self.claims, verdicts)
        self.verdict_statuses = {v.name: v.status for v in verdicts}
        if self.claims:
            claims = [c.to_json() for c in self.claims]
            self.history.meta["findings"] = {"claims": claims, **judgement.to_json()}
        report.write_scenario(self.directory, self.name, self.history, verdicts, self.replay_command)
        return judgement

    def check(self, verdicts: list[Verdict]) -> None:
        """Judge the verdicts by the client's claims here (``harness/run/findings.py``), write the report,
        then raise (naming the seed and the replay command) unless the run passed.

        Exactly as claimed (the failed verdicts are exactly those of its ``reproduced`` claims):
        ``FindingReproduced``, the scenario's strict expected failure. Anything else that failed, or a
        claim that did not show, is a plain failure saying which verdicts. Unknown verdicts fail
        nothing; the report and pytest's summary show them."""
        judgement = self.record(verdicts)
        where = (
            f"{self.name} (seed {self.seed}, client {self.client_name})\n"
            f"report: {self.directory / 'index.html'}\nreplay: {self.replay_command}"
        )
        enforce(judgement, self.claims, verdicts, where)


def replay_command(nodeid: str, seed: int, timeline: Path, client: str = "reference") -> str:
    """The line that replays a scenario run from the repository root, quoted for bash and zsh alike
    (node ids and report paths hold brackets, which zsh would take for a glob)."""
    python = ".venv/bin/python" if (ROOT / ".venv/bin/python").exists() else Path(sys.executable).name
    return shlex.join(
        [python, "-m", "pytest", nodeid, "-m", "chaos", "--client", client, "--chaos-seed", str(seed),
         "--chaos-replay", str(timeline)]
    )  # fmt: skip


def directory_name(name: str) -> str:
    """A scenario run's directory name: its pytest name, but for the slashes a ``cmd:`` client's
    name holds (and, past 150 characters, its tail: a hash keeps two such names apart)."""
    if "/" not in name and len(name) <= 150:
        return name
    flat = name.replace("/", "_")
    return flat if len(flat) <= 150 else f"{flat[:140]}-{zlib.crc32(name.encode()):08x}"
