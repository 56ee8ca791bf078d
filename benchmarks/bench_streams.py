"""Market stream generation for 1, 10 and 100 contracts.

    .venv/bin/python benchmarks/bench_streams.py [--seconds S] [--repeat R]

Two figures per contract count:
- generate: in-process, no sockets: the schedule, the seeded market (price steps, trades, depth
  churn), payloads, seq/sentAt headers, as fast as one core goes. Events per second, and hub
  messages per second (a price step or a trade publishes two messages, a depth change one).
- deliver:  the same Gateway served on loopback, one client process subscribed to quotes, trades
  and depth of every contract, the rates set far above what one process can send: messages per
  second the client received over S seconds, with the server's stream lag (how far stream time
  slipped behind the wall clock because the server could not keep up; the stream stays in order).
Rates are split evenly over the contracts, in the proportions quote 2 : trade 1 : depth 1. Each
row is the median of R runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from simulator import ServerConfig
from simulator.projectx import GatewayConfig, build_gateway
from simulator.projectx.catalog import PRODUCTS, Catalog
from simulator.projectx.market import ContractMarket
from simulator.projectx.market_hub import MarketHub
from simulator.projectx.profile import StreamProfile
from simulator.projectx.streams import StreamCounters
from simulator.projectx.trading import Ledger
from simulator.projectx.user_hub import UserHub

RECEIVER = Path(__file__).resolve().parent / "stream_receiver.py"
COUNTS = (1, 10, 100)
MONTHS = 13  # 8 products x 13 quarterly months = 104 contracts to choose from


def profile(total_events_per_s: float, contracts: int) -> StreamProfile:
    per_contract = total_events_per_s / contracts
    return StreamProfile(
        default={"quote": per_contract / 2, "trade": per_contract / 4, "depth": per_contract / 4}
    )


def generate(contracts: int, seconds: float) -> tuple[float, float]:
    """(events/s, messages/s) generated in-process for ``seconds`` of wall time."""
    catalog = Catalog(list(PRODUCTS), date.today(), months=MONTHS)
    chosen = list(catalog.contracts)[:contracts]
    catalog.contracts = {cid: catalog.contracts[cid] for cid in chosen}
    markets = {cid: ContractMarket(c, 0, time.time) for cid, c in catalog.contracts.items()}
    counters = StreamCounters()
    user_hub = UserHub(catalog, counters)
    ledger = Ledger(catalog, markets, user_hub.deliver)
    hub = MarketHub(markets, profile(1e6, contracts), counters, ledger.on_market)
    started = time.perf_counter()
    stream_t = 0.0
    while time.perf_counter() - started < seconds:
        stream_t += 0.01
        hub.run_until(stream_t, 10**6)
    elapsed = time.perf_counter() - started
    messages = sum(counters.last().values())
    return hub.events / elapsed, messages / elapsed


async def deliver(contracts: int, seconds: float) -> dict[str, Any]:
    months = -(-contracts // len(PRODUCTS))
    symbols = tuple(PRODUCTS)[: contracts if contracts < len(PRODUCTS) else len(PRODUCTS)]
    gateway = build_gateway(
        ServerConfig(send_buffer_limit_bytes=1 << 30),
        GatewayConfig(symbols=symbols, months=months, profile=profile(1e6, contracts), demo_rate_per_s=0),
    )
    chosen = list(gateway.markets)[:contracts]
    async with gateway.server:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(RECEIVER),
            "--url",
            gateway.server.url,
            "--seconds",
            str(seconds),
            *chosen,
            stdout=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(seconds + 60):
            out, _ = await proc.communicate()
        result: dict[str, Any] = json.loads(out)
        result["lag_s"] = gateway.market_hub.lag_s
        result["events"] = gateway.market_hub.events
    return result


async def main(args: argparse.Namespace) -> None:
    print(f"stream generation, median of {args.repeat} runs (deliver: {args.seconds:g} s windows)")
    print(f"{'contracts':>9}  {'generate ev/s':>14}  {'generate msg/s':>15}  {'deliver msg/s':>14}")
    for contracts in COUNTS:
        gen = [generate(contracts, args.seconds) for _ in range(args.repeat)]
        runs = [await deliver(contracts, args.seconds) for _ in range(args.repeat)]
        delivered = statistics.median(r["messages"] / r["elapsed_s"] for r in runs)
        print(
            f"{contracts:>9}  {statistics.median(g[0] for g in gen):>14,.0f}  "
            f"{statistics.median(g[1] for g in gen):>15,.0f}  {delivered:>14,.0f}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each run (default 3)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (default 3)")
    asyncio.run(main(parser.parse_args()))
