"""Count GatewayQuote events with the reference client (run by bench_clients.py).

The whole client path: frames decoded by ``signalr_protocol``, classified, queued, dispatched to
a callback. A quote the client coalesced (a newer one for its contract arrived before the callback
ran) counts as handled; the bench spreads quotes over 1,000 contracts, so that is rare. Prints ``ready`` once connected, then one JSON line after --messages events:
{"messages", "elapsed_s" (first to last), "cpu_s"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from client import ClientConfig, DispatchPolicy, HeartbeatPolicy, RealtimeClient, StaticToken


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--protocol", default="json")
    args = parser.parse_args()
    done = asyncio.Event()
    state: dict[str, Any] = {"n": 0, "first": None}
    base = args.url.split("/hubs/")[0]
    config = ClientConfig(
        base,
        protocol=args.protocol,
        market_hub_url=args.url,
        heartbeat=HeartbeatPolicy(interval_s=30.0),
        dispatch=DispatchPolicy(batch=1024),
    )
    client = RealtimeClient(config, StaticToken("bench"))

    counters = client.stats.counters

    def on_quote(event: Any) -> None:
        if state["first"] is None:
            state["first"], state["cpu"] = time.perf_counter(), time.process_time()
        state["n"] += 1
        if state["n"] + counters["quotes_coalesced"] == args.messages:  # a coalesced quote was handled too
            state["last"], state["cpu_end"] = time.perf_counter(), time.process_time()
            done.set()

    client.on("quote", on_quote)
    await client.connect(hubs=("market",))
    print("ready", flush=True)
    try:
        await asyncio.wait_for(done.wait(), 300)
    except TimeoutError:
        sys.exit(f"only {state['n']} of {args.messages} messages within 300 s")
    print(
        json.dumps(
            {
                "messages": state["n"],
                "elapsed_s": state["last"] - state["first"],
                "cpu_s": state["cpu_end"] - state["cpu"],
                "coalesced": client.metrics()["counters"]["quotes_coalesced"],
            }
        ),
        flush=True,
    )
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
