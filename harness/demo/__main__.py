"""``python -m harness.demo``: start the simulator, connect a real third-party SignalR client to
it, and show the live stream it receives (``make demo``): proof, end to end, that a standard
client accepts the simulator.

Every process it starts is stopped when it ends, on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path

from ..clients.driver_process import signalr_driver
from ..clients.envs import ensure
from ..clients.registry import CLIENTS
from ..errors import HarnessError
from ..infra.processes import SimulatorProcess


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness.demo", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--client",
        choices=sorted(n for n, e in CLIENTS.items() if e.driver.endswith("_driver.py")),
        default="pysignalr-1.3.3",
        help="client to drive",
    )
    p.add_argument("--protocol", choices=["json", "messagepack"], default="json")
    p.add_argument("--seconds", type=float, default=8.0, help="how long to watch the stream (default 8)")
    p.add_argument("--rate", type=float, default=5.0, help="ticks per second from the simulator (default 5)")
    p.add_argument("--log-dir", type=Path, default=Path("reports/demo"), help="where process logs go")
    return p


def show(event: dict[str, object], started: float) -> None:
    at = f"{time.time() - started:6.2f}s"
    if event["event"] == "invocation":
        tick = event["args"][0]  # type: ignore[index]
        prices = f"bid={tick['bid']:<9} ask={tick['ask']:<9}"
        print(f"{at}  {event['target']}  seq={tick['seq']:<4} {prices} {tick['ts']}")
    elif event["event"] != "ready":
        detail = {k: v for k, v in event.items() if k not in ("event", "t")}
        print(f"{at}  [{event['event']}] {json.dumps(detail) if detail else ''}")


async def watch(args: argparse.Namespace, url: str, python: Path) -> int:
    env = CLIENTS[args.client]
    driver = signalr_driver(
        env, python, f"{url}/hubs/demo", protocol=args.protocol, log_path=args.log_dir / f"{env.name}.log"
    )
    started = time.time()
    shown = 0
    async with driver:
        await driver.command("on", target="Tick")
        await driver.command("start")
        await driver.wait_for(lambda e: e["event"] == "open", 20, "connection")
        await driver.command("invoke", target="Subscribe", args=[], ref="subscribe")
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            for event in driver.events[shown:]:
                show(event, started)
            shown = len(driver.events)
    ticks = driver.of("invocation")
    seqs = [e["args"][0]["seq"] for e in ticks]
    gaps = sum(1 for a, b in itertools.pairwise(seqs) if b != a + 1)
    print(
        f"\n{env.name} ({args.protocol}) received {len(ticks)} ticks in {args.seconds:.0f} s, {gaps} gaps; "
        f"client {driver.shutdown}"
    )
    return 0 if ticks and gaps == 0 else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.log_dir.mkdir(parents=True, exist_ok=True)
    try:
        print(f"preparing {args.client} (its own venv, cached after the first run) ...", flush=True)
        python = ensure(CLIENTS[args.client])
        with SimulatorProcess("--demo-rate", str(args.rate), log_path=args.log_dir / "simulator.log") as sim:
            print(f"simulator: {sim.url} (log: {sim.log_path})", flush=True)
            return asyncio.run(watch(args, sim.url, python))
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
