"""Receiving clients side by side: decode + dispatch rate for a quote stream, one core each.

    .venv/bin/python benchmarks/bench_clients.py [--messages N] [--repeat R]

The simulator (this process) streams N ``GatewayQuote`` invocations (JSON, spread over 1,000
contract ids) to one client at a time, each client in its own process with its own venv:
the reference client (``client/``), pysignalr 1.3.3, signalrcore 1.0.2 and signalrcore 0.9.5 (what
project-x-py 3.x runs on). Each receiver counts messages in a callback and reports the time from
its first message to its N-th and its CPU time over that span. The server writes pre-encoded
frames of 100 records and waits for the socket to drain, so the client is the bottleneck: a slow
client is measured, not dropped. Each row is the median of R runs.
Client venvs are built on first use (``harness.clients.envs``, needs the package registry).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from harness.clients.envs import ensure
from harness.clients.registry import CLIENTS
from signalr_protocol import JSON, Invocation
from simulator import Hub, ServerConfig, SimulatorServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_codecs import QUOTE

RECEIVERS = Path(__file__).resolve().parent / "receivers"
CONTRACTS = [f"CON.F.US.MNQ.B{n:03d}" for n in range(1000)]
RECORDS_PER_FRAME = 100
RUNNERS = {
    "reference": (None, "reference_count.py"),
    "pysignalr-1.3.3": ("pysignalr-1.3.3", "pysignalr_count.py"),
    "signalrcore-1.0.2": ("signalrcore-1.0.2", "signalrcore_count.py"),
    "signalrcore-0.9.5": ("signalrcore-0.9.5", "signalrcore_count.py"),
}


class QuoteHub(Hub):
    """Streams pre-encoded frames of ``RECORDS_PER_FRAME`` quotes straight to the socket
    (``HubSession.write_frame``), so the server is never the bottleneck: what is measured is the
    client. Each write waits for the socket to drain, so a slow client slows the stream."""

    name = "bench"

    async def blast(self, count: int) -> None:
        data = QUOTE.arguments[1]
        records = [JSON.encode(Invocation("GatewayQuote", [c, data])) for c in CONTRACTS]
        cycle = len(records) * RECORDS_PER_FRAME
        frames = [
            b"".join(records[(i + j) % len(records)] for j in range(RECORDS_PER_FRAME))
            for i in range(0, cycle, RECORDS_PER_FRAME)
        ]
        [session] = list(self.sessions.values())
        for n in range(count // RECORDS_PER_FRAME):
            await session.write_frame(frames[n % len(frames)])


async def run_once(
    server: SimulatorServer, hub: QuoteHub, python: str, script: str, messages: int
) -> dict[str, Any]:
    url = f"{server.url}/hubs/bench"
    proc = await asyncio.create_subprocess_exec(
        python, str(RECEIVERS / script), "--url", url, "--messages", str(messages),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(300):
            line = await proc.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError(f"{script}: no 'ready' line (got {line!r})")
            blast = asyncio.create_task(hub.blast(messages))
            result: dict[str, Any] = json.loads(await proc.stdout.readline())
            await blast
            await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return result


async def main(args: argparse.Namespace) -> None:
    pythons = {
        name: sys.executable if env is None else str(ensure(CLIENTS[env]))
        for name, (env, _) in RUNNERS.items()
    }
    hub = QuoteHub()
    config = ServerConfig(keep_alive_interval_s=15.0, send_buffer_limit_bytes=1 << 30, client_timeout_s=None)
    print(f"{args.messages:,} GatewayQuote invocations (JSON) per run, median of {args.repeat} runs")
    print(f"{'client':<20}{'msg/s':>12}{'CPU/msg us':>12}{'vs reference':>14}{'coalesced':>11}")
    rows: dict[str, tuple[float, float]] = {}
    async with SimulatorServer(config, [hub]) as server:
        for name, (_, script) in RUNNERS.items():
            runs = [
                await run_once(server, hub, pythons[name], script, args.messages) for _ in range(args.repeat)
            ]
            rate = statistics.median(r["messages"] / r["elapsed_s"] for r in runs)
            cpu_us = statistics.median(r["cpu_s"] / r["messages"] * 1e6 for r in runs)
            rows[name] = (rate, cpu_us)
            versus = rate / rows["reference"][0]
            coalesced = statistics.median(r.get("coalesced", 0) for r in runs)  # only the reference coalesces
            print(f"{name:<20}{rate:>12,.0f}{cpu_us:>12.1f}{versus:>13.2f}x{coalesced:>11,.0f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000, help="per run (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per client (default 3)")
    asyncio.run(main(parser.parse_args()))
