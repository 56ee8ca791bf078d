"""One soak: the simulator streaming at a steady rate, Toxiproxy in front of each hub, the client
under test in its own process with memray in rotating windows, faults from the catalogue every
few seconds or minutes, samples of RSS/USS and the client's own counts, then the verdict and the
judged result; its caller writes the report (``report.write``). Everything started here is
stopped, also when the run fails.

    result = await SoakRun(SoakConfig(duration_s=60, leak="callbacks:10"), Path("reports/soak")).run()
    report.write(result)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import abc
from pathlib import Path
from typing import Any

import psutil

from ..clients.driver_process import Event
from ..clients.process_adapters import DriverAdapter
from ..clients.registry import Site, client_kind
from ..infra import gateway
from ..infra.processes import SimulatorProcess
from ..infra.proxies import HubProxies
from ..infra.toxiproxy import Toxiproxy, ToxiproxyServer
from ..run.history import RunHistory
from ..run.timeline import Player
from ..run.verdicts import Verdict
from . import capture, growth, report
from .config import SoakConfig
from .schedule import fault_timeline

KEPT = frozenset({"ready", "done", "driver_exited", "state"})  # the rest is seen once, not kept
SYMBOLS = "MNQ,MES"
MESSAGES_PER_EVENT_RATE = 5  # per contract: quote (+ its depth move), trade (+ depth), depth


class SoakClient(DriverAdapter):
    """The client under test for hours: periodic events feed the run's series, not a list."""

    def __init__(self, run: SoakRun, argv: list[str], env: dict[str, str]) -> None:
        super().__init__(
            run.config.client,
            argv,
            run.history,
            run.directory / "client.log",
            env=env,
            keep=lambda e: e["event"] in KEPT,
        )
        self.run = run

    def _record(self, event: Event) -> None:
        kind = event["event"]
        if kind == "metrics":
            self.run.latest = event
        elif kind == "memory_window":
            self.run.window_closed(event)
        elif kind == "memory_error":
            self.run.memory_error = str(event.get("error"))
        elif kind == "state":
            super()._record(event)


class SoakRun:
    def __init__(
        self,
        config: SoakConfig,
        directory: Path,
        *,
        toxiproxy_url: str | None = None,
        progress: abc.Callable[[str], None] = print,
    ) -> None:
        self.toxiproxy_url = toxiproxy_url  # a running Toxiproxy (the test session's); else one is started
        self.asked = config
        self.config = config.resolved()
        self.directory = directory
        self.progress = progress
        self.history = RunHistory(meta={"soak": True, "seed": config.seed, "client": config.client})
        self.latest: Event = {}
        self.memory_error: str | None = None
        self.windows: list[growth.Window] = []
        self.series: dict[str, list[growth.Point]] = {
            k: [] for k in ("rss", "uss", "cpu_s", "tasks", "queued", "callbacks", "received")
        }
        self._reads: list[asyncio.Task[None]] = []
        self.started = 0.0
        self.died: float | None = None  # when the client process exited on its own
        self.stop_requested = False  # set by request_stop(): end now, and still judge and report
        self.stopped_early: float | None = None

    def request_stop(self) -> None:
        """End the run at the next second and judge what ran (the CLI's Ctrl-C and SIGTERM: a CI
        job cancelled or timing out still leaves its report)."""
        self.stop_requested = True

    # -- the run --------------------------------------------------------------------------------

    async def run(self) -> report.SoakResult:
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob("windows/w*.bin"):
            stale.unlink()
        with contextlib.ExitStack() as stack:
            url = (
                self.toxiproxy_url
                or stack.enter_context(ToxiproxyServer(log_path=self.directory / "toxiproxy.log")).url
            )
            simulator = SimulatorProcess(*self._simulator_flags(), log_path=self.directory / "simulator.log")
            stack.callback(simulator.stop)
            await asyncio.to_thread(simulator.start)
            toxiproxy = Toxiproxy(url)
            try:
                return await self._run(simulator.url, toxiproxy)
            finally:
                await toxiproxy.close()

    def _simulator_flags(self) -> list[str]:
        """The scaled flags every run starts from, then the soak's own (a later flag wins): the
        rate split over the kinds and contracts, a short send history."""
        per_kind = f"{self.config.rate / (MESSAGES_PER_EVENT_RATE * len(SYMBOLS.split(','))):g}"
        return [
            *gateway.SCALED_FLAGS,
            *client_kind(self.config.client).simulator_flags,
            *("--quote-rate", per_kind, "--trade-rate", per_kind, "--depth-rate", per_kind),
            *("--symbols", SYMBOLS, "--months", "1", "--seed", str(self.config.seed)),
            *("--history-limit", "1000"),
        ]

    async def _run(self, base: str, toxiproxy: Toxiproxy) -> report.SoakResult:
        proxies = HubProxies(toxiproxy, prefix="soak-")
        tasks: list[asyncio.Task[Any]] = []
        try:
            await proxies.open(base)
            site = Site(base, proxies.urls, self.history, self.directory, self.config.seed)
            argv = await client_kind(self.config.client).soak_command(site)
            argv += ["--leak", self.config.leak] if self.config.leak else []
            client = SoakClient(self, argv, self._env())
            try:
                await client.start()
                self.started = time.time()
                outcome = await client.connect()
                if not outcome.ok:
                    raise RuntimeError(f"the client did not connect: {outcome.detail}")
                for contract in await gateway.contracts(base, await gateway.login(base)):
                    for stream in ("quotes", "trades", "depth"):
                        await client.subscribe(stream, contract)
                await client.subscribe("user", gateway.ACCOUNT)
                timeline = fault_timeline(self.config)
                timeline.save(self.directory / "timeline.json")
                player = Player(toxiproxy, proxies.names, base, self.history)
                tasks = [
                    asyncio.create_task(self._sample(client)),
                    asyncio.create_task(player.play(timeline)),
                    asyncio.create_task(self._churn(client)),
                ]
                await self._wait(client, tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self.history.meta["end"] = time.time()
                self.history.save(self.directory / "history.jsonl")  # faults, states, churn: small
                with contextlib.suppress(Exception):  # heal everything before the client closes
                    await proxies.close()
                await client.close()
                await asyncio.gather(*self._reads, return_exceptions=True)
        finally:
            with contextlib.suppress(Exception):  # a failure before the client: proxies still go
                await proxies.close()
        return await asyncio.to_thread(self._judge)

    def _env(self) -> dict[str, str]:
        env = {
            "FAULTLINE_MESSAGE_EVENTS": "0",
            "FAULTLINE_METRICS_INTERVAL_S": f"{min(self.config.sample_s or 1, 1.0)}",
        }
        if self.config.memray:
            env |= {
                "FAULTLINE_MEMRAY_DIR": str(self.directory / "windows"),
                "FAULTLINE_MEMRAY_WINDOW_S": f"{self.config.window_s}",
                "FAULTLINE_MEMRAY_INTERVAL_MS": str(self.config.interval_ms),
                "FAULTLINE_MEMRAY_PYALLOC": "1" if self.config.pyalloc else "0",
                "FAULTLINE_MEMRAY_GC_S": f"{self.config.sub_s}",
            }
        return env

    async def _wait(self, client: SoakClient, tasks: list[asyncio.Task[Any]]) -> None:
        """Until the duration is over, saying how it goes. A failed helper task ends the run (the
        harness's fault); a client process that dies ends it too, and fails it (``client_alive``)."""
        every = min(600.0, max(10.0, self.config.duration_s / 20))  # a line at least every 10 min
        end = self.started + self.config.duration_s
        next_status = self.started + every
        while (left := end - time.time()) > 0:
            done = [t for t in tasks if t.done() and not t.cancelled() and t.exception() is not None]
            if done:
                raise RuntimeError(f"soak helper failed: {done[0].exception()!r}")
            if self.stop_requested:
                self.stopped_early = time.time() - self.started
                self.progress(
                    f"soak: stopping early after {self.stopped_early:.0f} s, as asked; judging what ran"
                )
                return
            if not client.process.running:
                self.died = time.time()
                self.progress(f"soak: the client process exited after {self.died - self.started:.0f} s")
                return
            await asyncio.sleep(min(1.0, left))
            if time.time() >= next_status:
                next_status += every
                self.progress(self._status())

    def _status(self) -> str:
        elapsed = time.time() - self.started
        received = self.series["received"]
        rate = 0.0
        if len(received) >= 2:
            (t0, n0), (t1, n1) = received[max(0, len(received) - 20)], received[-1]
            rate = (n1 - n0) / max(t1 - t0, 1e-9)
        rss = self.series["rss"][-1][1] / 1e6 if self.series["rss"] else 0.0
        return (
            f"soak: {elapsed:.0f}/{self.config.duration_s:.0f} s, {rate:.0f} msg/s received, "
            f"RSS {rss:.1f} MB, {len(self.windows)} memray windows, {len(self.history.faults)} fault steps"
        )

    async def _sample(self, client: SoakClient) -> None:
        assert client.process.pid is not None
        process = psutil.Process(client.process.pid)
        with (self.directory / "samples.jsonl").open("w") as out:
            while True:
                now = time.time()
                try:
                    info = await asyncio.to_thread(process.memory_full_info)
                    cpu = process.cpu_times()
                except psutil.Error:
                    return  # the client is gone; the verdict says so
                metrics = self.latest
                counters = metrics.get("counters") or {}
                row = {
                    "t": now,
                    "rss": info.rss,
                    "uss": info.uss,
                    "cpu_s": cpu.user + cpu.system,
                    "tasks": metrics.get("tasks"),
                    "queued": metrics.get("queued"),
                    "callbacks": metrics.get("callbacks"),
                    "received": counters.get("events_received", counters.get("messages")),
                }
                for key, value in row.items():
                    if key != "t" and isinstance(value, int | float):
                        self.series[key].append((now, float(value)))
                out.write(json.dumps(row) + "\n")
                out.flush()
                await asyncio.sleep(self.config.sample_s or 1.0)

    async def _churn(self, client: SoakClient) -> None:
        """Callback churn during flow (T8): a few registered with each fault, removed half a
        period later, again and again (kept near the faults: each is a disturbance of its own)."""
        every = self.config.churn_every_s
        assert every is not None
        next_at = self.started + 0.5 * (self.config.fault_every_s or every)
        while True:
            await asyncio.sleep(max(0.0, next_at - time.time()))
            handles = [await client.add_callback(kind) for kind in ("quote", "trade", "quote", "trade")]
            self.history.observe("churn", action="add", n=len(handles))
            await asyncio.sleep(every / 2)
            for handle in handles:
                await client.remove_callback(handle)
            self.history.observe("churn", action="remove", n=len(handles))
            next_at += every

    # -- windows --------------------------------------------------------------------------------

    def window_closed(self, event: Event) -> None:
        self._reads.append(asyncio.ensure_future(self._read(event)))

    async def _read(self, event: Event) -> None:
        path = Path(event["file"])
        try:
            window = await asyncio.to_thread(
                capture.read_window, path, event["window"], event["start"], event["end"]
            )
        except Exception as exc:  # a torn window is reported, the others still count
            self.memory_error = f"window {path.name} unreadable: {exc}"
            return
        self.windows.append(window)
        with (self.directory / "memory.jsonl").open("a") as out:
            out.write(json.dumps(capture.window_json(window)) + "\n")

    # -- verdict --------------------------------------------------------------------------------

    def _judge(self) -> report.SoakResult:
        config = self.config
        windows = sorted(self.windows, key=lambda w: w.index)
        steady_from = (
            windows[0].start + config.warmup_windows * (config.window_s or 0) - 0.5
            if windows
            else self.started + (config.warmup_s or 0)
        )
        breaks = [f["t"] for f in self.history.faults] + [e["t"] for e in self.history.client]
        counts = {k: self.series[k] for k in ("tasks", "queued", "callbacks")}
        verdicts, figures = growth.judge(
            windows,
            breaks,
            self.series["rss"],
            counts,
            warmup_until=steady_from,
            settle_s=config.settle_s or 0.0,
            sub_s=config.sub_s or 1.0,
            thresholds=config.thresholds,
        )
        if not config.memray:
            verdicts = [v for v in verdicts if not v.name.startswith("heap_")]
        elif self.memory_error or not windows:
            verdicts.insert(
                0, Verdict("memory_tracked", False, self.memory_error or "memray wrote no window")
            )
        figures |= self._figures(steady_from)
        verdicts.append(self._flowing(figures))
        if self.died is not None:
            verdicts.insert(
                0,
                Verdict(
                    "client_alive",
                    False,
                    f"the client process exited on its own {self.died - self.started:.0f} s into the run "
                    f"(see client.log)",
                ),
            )
        steady = [w for w in windows if w.start >= steady_from]
        flame = None
        if steady:
            worst = max(steady, key=lambda w: w.leaked_bytes)
            error = capture.flamegraph(
                self.directory / "windows" / f"w{worst.index:05d}.bin",
                self.directory / "growth-flamegraph.html",
            )
            flame = (worst.index, error)
        if self.stopped_early is not None:
            figures["stopped_early_s"] = self.stopped_early
        result = report.SoakResult(
            config=config,
            command=self.asked.command(),
            directory=self.directory,
            verdicts=verdicts,
            figures=figures,
            windows=windows,
            series=self.series,
            faults=self.history.faults,
            states=[e for e in self.history.client if e["kind"] == "state"],
            started=self.started,
            steady_from=steady_from,
            flamegraph=flame,
        )
        return result

    def _figures(self, steady_from: float) -> dict[str, float | None]:
        """Received msg/s and the client's CPU per message over the steady part; memray's files."""

        def delta(name: str) -> tuple[float, float] | None:
            points = [p for p in self.series[name] if p[0] >= steady_from]
            return (points[-1][1] - points[0][1], points[-1][0] - points[0][0]) if len(points) >= 2 else None

        received, cpu = delta("received"), delta("cpu_s")
        rate = received[0] / max(received[1], 1e-9) if received else None
        files = list((self.directory / "windows").glob("w*.bin"))
        size = sum(f.stat().st_size for f in files)
        hours = sum(w.end - w.start for w in self.windows) / 3600
        return {
            "received_msgs_per_s": rate,
            "client_cpu_us_per_msg": cpu[0] / received[0] * 1e6 if cpu and received and received[0] else None,
            "capture_bytes": float(size),
            "capture_bytes_per_hour": size / hours if hours else None,
        }

    def _flowing(self, figures: dict[str, Any]) -> Verdict:
        rate = figures.get("received_msgs_per_s")
        if rate is None:
            return Verdict("stream_flowing", False, "the client reported no message counts")
        return Verdict(
            "stream_flowing",
            rate >= 0.5 * self.config.rate,
            f"{rate:.0f} msg/s received over the steady part, of {self.config.rate:.0f} offered "
            "(at least half must arrive, faults included, or the soak proves little)",
        )
