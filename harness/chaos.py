"""One chaos scenario run: the simulator as a real process, one Toxiproxy proxy per hub, a client
adapter, a fault timeline, the merged history, verdicts and the report.

    async with ChaosRun("partition", seed, directory, toxiproxy_url) as run:
        client = run.reference_client()
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
import sys
import time
from collections import abc
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

import aiohttp

from client import BackoffPolicy, ClientConfig, GatewayTokens, HeartbeatPolicy

from . import report
from .adapters import ReferenceAdapter
from .checks import Verdict
from .processes import SimulatorProcess
from .run_history import RunHistory
from .timeline import Player, Step, Timeline
from .toxiproxy import Toxiproxy, ToxiproxyError

log = logging.getLogger(__name__)

ACCOUNT = 12345
SIMULATOR_FLAGS = (
    "--keep-alive", "0.5", "--client-timeout", "3", "--handshake-timeout", "2",
    "--symbols", "MNQ,MES", "--quote-rate", "20", "--trade-rate", "10", "--depth-rate", "5",
    "--demo-rate", "0", "--log-level", "WARNING",
)  # fmt: skip


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
    ) -> None:
        self.name = name
        self.seed = seed
        self.directory = directory
        self.replay = replay
        self.replay_command = replay_command
        self.rng = random.Random(seed)
        self.history = RunHistory(meta={"scenario": name, "seed": seed, "client": "reference"})
        self.toxiproxy = Toxiproxy(toxiproxy_url)
        self.simulator = SimulatorProcess(
            *SIMULATOR_FLAGS,
            "--seed", str(seed),
            "--history-file", str(directory / "send-history.jsonl"),
            *simulator_flags,
            log_path=directory / "simulator.log",
        )  # fmt: skip
        self.proxies: dict[str, str] = {}
        self.proxy_urls: dict[str, str] = {}
        self.contracts: list[str] = []
        self._adapters: list[ReferenceAdapter] = []
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

    async def _contracts(self) -> list[str]:
        tokens = GatewayTokens(self.simulator.url, "sim", "sim-api-key-0001")
        try:
            token = await tokens.token()
            headers = {"Authorization": f"Bearer {token}"}
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"{self.simulator.url}/api/Contract/available", json={}, headers=headers
                ) as response,
            ):
                return [c["id"] for c in (await response.json())["contracts"]]
        finally:
            await tokens.close()

    @property
    def contract(self) -> str:
        return self.contracts[0]

    # -- the scenario's tools -------------------------------------------------------------------

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

    async def _sample(self, adapter: ReferenceAdapter) -> None:
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
        params = {"hub": hub, "open": "true"}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(f"{self.simulator.url}/_sim/connections", params=params) as response,
        ):
            rows = (await response.json())["connections"]
        return [sub for row in rows for sub in row.get("subscriptions", [])]

    async def finish(self, adapter: ReferenceAdapter, settle_s: float = 1.0) -> None:
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
        url = self.simulator.url
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            async with http.get(f"{url}/_sim/requests") as r:
                self.history.requests = (await r.json())["requests"]
            async with http.get(f"{url}/_sim/connections") as r:
                connections = (await r.json())["connections"]
            calls: dict[str, list[list[Any]]] = {}
            for connection in connections:
                async with http.get(f"{url}/_sim/connections/{connection['connectionId']}") as r:
                    record = await r.json()
                calls[connection["connectionId"]] = [
                    [m["target"], m.get("arguments", [])]
                    for m in record.get("messages", [])
                    if m.get("dir") == "in" and m.get("type") == 1 and "ubscribe" in m.get("target", "")
                ]
            self.history.meta["subscribe_calls"] = calls
            async with http.get(f"{url}/_sim/history", params={"limit": "1"}) as r:
                history_file = (await r.json())["file"]
        await asyncio.sleep(0.6)  # the simulator flushes its history file every 0.5 s
        text = await asyncio.to_thread(Path(history_file).read_text)
        self.history.server = [json.loads(line) for line in text.splitlines() if line.strip()]

    def check(self, verdicts: list[Verdict]) -> None:
        """Write the report, then fail (naming the seed and the replay command) if any verdict failed."""
        self._checked = True
        report.write_scenario(self.directory, self.name, self.history, verdicts, self.replay_command)
        failed = [v for v in verdicts if not v.ok]
        if failed:
            lines = "\n".join(f"  {v.name}: {v.detail}" for v in failed)
            raise AssertionError(
                f"{self.name} (seed {self.seed}) failed:\n{lines}\nreport: {self.directory / 'index.html'}\n"
                f"replay: {self.replay_command}"
            )


def replay_command(nodeid: str, seed: int, timeline: Path) -> str:
    python = Path(sys.executable).name
    return f"{python} -m pytest '{nodeid}' -m chaos --chaos-seed {seed} --chaos-replay {timeline}"
