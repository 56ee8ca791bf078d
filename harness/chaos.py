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
import os
import random
import shlex
import sys
import time
from collections import abc
from dataclasses import asdict, is_dataclass, replace
from pathlib import Path
from typing import Any, Self

import aiohttp

from client import BackoffPolicy, ClientConfig, GatewayTokens, HeartbeatPolicy

from . import client_envs, report
from .adapters import ClientAdapter, ReferenceAdapter
from .findings import Claim, Judgement, judge
from .process_adapters import BareSignalRAdapter, DriverAdapter
from .processes import SimulatorProcess
from .run_history import RunHistory
from .sim_control import SimulatorControl
from .timeline import Player, Step, Timeline
from .toxiproxy import Toxiproxy, ToxiproxyError
from .verdicts import Verdict

log = logging.getLogger(__name__)

ACCOUNT = 12345
SIMULATOR_FLAGS = (
    "--keep-alive", "0.5", "--client-timeout", "3", "--handshake-timeout", "2",
    "--symbols", "MNQ,MES", "--quote-rate", "20", "--trade-rate", "10", "--depth-rate", "5",
    "--demo-rate", "0", "--log-level", "WARNING",
)  # fmt: skip
# Clients whose keep-alive cannot be shortened (signalrcore pings after 10 s idle, pysignalr every
# 15 s) meet the server-side client timeout of ASP.NET's default, as against the real Gateway; the
# scaled 3 s would cut them off for being quiet, which is the server's doing, not theirs.
THIRD_PARTY_FLAGS = ("--client-timeout", "30")


def client_config(base_url: str, user_url: str, market_url: str, seed: int, **changes: Any) -> ClientConfig:
    """The reference client with timers scaled to seconds, so scenarios run in seconds."""
    config = ClientConfig(
        base_url,
        user_hub_url=user_url,
        market_hub_url=market_url,
        connect_timeout_s=3.0,
        operation_timeout_s=3.0,
        keep_alive_interval_s=0.5,
        server_timeout_s=2.0,
        heartbeat=HeartbeatPolicy(interval_s=0.5, timeout_s=1.0),
        backoff=BackoffPolicy(initial_s=0.1, max_s=1.0),
        seed=seed,
    )
    return replace(config, **changes)


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
    ) -> None:
        self.name = name
        self.client_name = client
        self.claims = tuple(claims)  # what scenarios/findings says this client shows here
        self.judgement: Judgement | None = None
        env = client_envs.CLIENTS.get(client)
        # Added to recovery bounds and windows: see ClientEnv.reconnect_allowance_s.
        self.allowance_s = env.reconnect_allowance_s if env is not None else 0.0
        self.verdict_statuses: dict[str, str] = {}  # each verdict's pass, fail or unknown, once checked
        self.seed = seed
        self.directory = directory
        self.replay = replay
        self.replay_command = replay_command
        self.rng = random.Random(seed)
        self.history = RunHistory(meta={"scenario": name, "seed": seed, "client": client})
        self.toxiproxy = Toxiproxy(toxiproxy_url)
        self.simulator = SimulatorProcess(
            *SIMULATOR_FLAGS,
            *(() if client.startswith("reference") else THIRD_PARTY_FLAGS),
            "--seed", str(seed),
            "--history-file", str(directory / "send-history.jsonl"),
            *simulator_flags,
            log_path=directory / "simulator.log",
        )  # fmt: skip
        self.proxies: dict[str, str] = {}
        self.proxy_urls: dict[str, str] = {}
        self.contracts: list[str] = []
        self._adapters: list[ClientAdapter] = []
        self._samplers: list[asyncio.Task[None]] = []
        self._checked = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in ("send-history.jsonl", "history.jsonl", "verdicts.json"):
            (self.directory / stale).unlink(missing_ok=True)
        await asyncio.to_thread(self.simulator.start)
        for name in await self.toxiproxy.proxies():  # a previous run's, if it could not clean up
            await self.toxiproxy.delete_proxy(name)
        await self.toxiproxy.reset()
        port = self.simulator.url.rsplit(":", 1)[1]
        # With Toxiproxy in a container (docker compose): how it reaches the host's simulator, and
        # the published ports it listens on for the client (user hub, market hub).
        upstream_host = os.environ.get("FAULTLINE_PROXY_UPSTREAM_HOST", "127.0.0.1")
        fixed = [p for p in os.environ.get("FAULTLINE_PROXY_PORTS", "").split(",") if p.strip()]
        for index, hub in enumerate(("user", "market")):
            listen = f"0.0.0.0:{fixed[index]}" if len(fixed) == 2 else "127.0.0.1:0"
            proxy = await self.toxiproxy.create_proxy(hub, f"{upstream_host}:{port}", listen)
            self.proxies[hub] = proxy.name
            self.proxy_urls[hub] = f"http://127.0.0.1:{proxy.port}/hubs/{hub}"
        self.contracts = await self._contracts()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for sampler in self._samplers:
            sampler.cancel()
        try:
            for adapter in self._adapters:
                await adapter.close()
            # Deleting a proxy closes its connections at once; removing toxics first (reset) would
            # flush held data into sockets nobody reads, which can hang Toxiproxy's API.
            for name in self.proxies.values():
                await self.toxiproxy.delete_proxy(name)
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

    async def _login(self) -> str:
        tokens = GatewayTokens(self.simulator.url, "sim", "sim-api-key-0001")
        try:
            return await tokens.token()
        finally:
            await tokens.close()

    async def _contracts(self) -> list[str]:
        token = await self._login()
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.simulator.url}/api/Contract/available", json={}, headers=headers) as response,
        ):
            return [c["id"] for c in (await response.json())["contracts"]]

    @property
    def contract(self) -> str:
        return self.contracts[0]

    # -- the scenario's tools -------------------------------------------------------------------

    async def client(self, *, batching: bool = False, **reference_config: Any) -> ClientAdapter:
        """The client under test (``--client``), started and recording into the history.

        ``batching`` turns on a client's optional batching path the way its docs say to
        (project-x-py: ``enable_batching()``); clients with one dispatch path ignore it.

        ``cmd:COMMAND`` runs any driver of the whole-client protocol (``harness/drivers/
        client_driver.py``) with ``--base URL --user-hub URL --market-hub URL --seed N`` appended.
        ``reference_config`` tunes the reference client (``ClientConfig`` fields); other clients run
        as their users run them (they have no such knobs, or the harness sets the tightest they
        allow), so a scenario reads the same for every client."""
        if self.client_name == "reference":
            return self.reference_client(**reference_config)
        index = len(self._adapters)
        adapter: DriverAdapter | BareSignalRAdapter
        hubs = ["--user-hub", self.proxy_urls["user"], "--market-hub", self.proxy_urls["market"]]
        seed = reference_config.pop("seed", self.seed)
        driver_args = ["--base", self.simulator.url, *hubs, "--seed", str(seed)]
        if self.client_name == "reference-process" or self.client_name.startswith("cmd:"):
            # Your own client: any command speaking the whole-client protocol, given these flags.
            command = (
                [sys.executable, str(client_envs.DRIVERS / "reference_client.py")]
                if self.client_name == "reference-process"
                else shlex.split(self.client_name.removeprefix("cmd:"))
            )
            if self.client_name == "reference-process":  # the same knobs as in-process
                changes = {
                    k: asdict(v) if is_dataclass(v) and not isinstance(v, type) else v
                    for k, v in reference_config.items()
                }
                driver_args += ["--config", json.dumps(changes)]
            log_path = self.directory / f"client-{index}.log"
            adapter = DriverAdapter(self.client_name, [*command, *driver_args], self.history, log_path)
            return await self._started(adapter)
        env = client_envs.CLIENTS[self.client_name]
        python = await asyncio.to_thread(client_envs.ensure, env)
        if env.name.startswith("project-x-py"):
            argv = [
                str(python),
                str(client_envs.DRIVERS / "projectx_client.py"),
                "--base",
                self.simulator.url,
                *hubs,
                *(["--batching"] if batching else []),
            ]
            log_path = self.directory / f"{env.name}-{index}.log"
            adapter = DriverAdapter(env.name, argv, self.history, log_path, streams_per_contract=True)
        else:
            adapter = BareSignalRAdapter(
                env,
                python,
                self.proxy_urls,
                await self._login(),
                self.history,
                log_dir=self.directory,
                index=index,
            )
        return await self._started(adapter)

    async def _started(self, adapter: DriverAdapter | BareSignalRAdapter) -> ClientAdapter:
        self._adapters.append(adapter)  # closed by __aexit__ even if it fails to start
        await adapter.start()
        self._samplers.append(asyncio.create_task(self._sample(adapter)))
        return adapter

    def reference_client(self, **config_changes: Any) -> ReferenceAdapter:
        seed = config_changes.pop("seed", self.seed)
        urls = (self.simulator.url, self.proxy_urls["user"], self.proxy_urls["market"])
        config = client_config(*urls, seed, **config_changes)
        adapter = ReferenceAdapter(
            config, GatewayTokens(self.simulator.url, "sim", "sim-api-key-0001"), self.history
        )
        self._adapters.append(adapter)
        self._samplers.append(asyncio.create_task(self._sample(adapter)))
        return adapter

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
                    if m.get("dir") == "in" and m.get("type") == 1 and "ubscribe" in m.get("target", "")
                ]
            self.history.meta["subscribe_calls"] = calls
            history_file = await control.flush_history()  # everything sent so far is in the file now
        assert history_file is not None, "the simulator runs with --history-file"
        text = await asyncio.to_thread(Path(history_file).read_text)
        self.history.server = [json.loads(line) for line in text.splitlines() if line.strip()]

    def check(self, verdicts: list[Verdict]) -> None:
        """Judge the verdicts by the client's claims here (``harness/findings.py``), write the report,
        then raise (naming the seed and the replay command) unless the run passed.

        Exactly as claimed (the failed verdicts are exactly those of its ``reproduced`` claims):
        ``FindingReproduced``, the scenario's strict expected failure. Anything else that failed, or a
        claim that did not show, is a plain failure saying which verdicts. Unknown verdicts fail
        nothing; the report and pytest's summary show them."""
        self._checked = True
        judgement = self.judgement = judge(self.claims, verdicts)
        self.verdict_statuses = {v.name: v.status for v in verdicts}
        if self.claims:
            claims = [c.to_json() for c in self.claims]
            self.history.meta["findings"] = {"claims": claims, **judgement.to_json()}
        report.write_scenario(self.directory, self.name, self.history, verdicts, self.replay_command)
        where = (
            f"{self.name} (seed {self.seed}, client {self.client_name})\n"
            f"report: {self.directory / 'index.html'}\nreplay: {self.replay_command}"
        )
        enforce(judgement, self.claims, verdicts, where)


def enforce(
    judgement: Judgement, claims: abc.Sequence[Claim], verdicts: abc.Sequence[Verdict], where: str
) -> None:
    """Raise as ``judgement`` says: nothing for pass or unknown, ``FindingReproduced`` (the strict
    expected failure) when exactly the claimed verdicts failed, ``AssertionError`` naming what was
    not as claimed otherwise. ``where`` says which run, and how to replay it."""
    if judgement.status in ("pass", "unknown"):
        return
    lines = "\n".join(f"  {v.name}: {v.status}: {v.detail}" for v in verdicts if v.ok is not True)
    ids = ", ".join(c.id for c in claims if c.must_fail)
    if judgement.status == "reproduced":
        raise FindingReproduced(f"{ids} reproduced, exactly as claimed:\n{lines}\n{where}")
    problems = "\n".join(f"  - {p}" for p in judgement.problems)
    raise AssertionError(f"failed, not as any finding claims:\n{problems}\n{lines}\n{where}")


class FindingReproduced(AssertionError):
    """The scenario failed with exactly the verdicts its client's findings list."""


def replay_command(nodeid: str, seed: int, timeline: Path, client: str = "reference") -> str:
    python = Path(sys.executable).name
    return (
        f"{python} -m pytest '{nodeid}' -m chaos --client {client} --chaos-seed {seed} "
        f"--chaos-replay {timeline}"
    )
