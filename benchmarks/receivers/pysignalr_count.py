"""Count GatewayQuote invocations with pysignalr (run in its own venv by bench_clients.py).

Prints ``ready`` once connected, then one JSON line after --messages invocations:
{"messages", "elapsed_s" (first to last), "cpu_s" (this process, same span)}.
"""

import argparse
import asyncio
import json
import sys
import time

from pysignalr.client import SignalRClient


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--messages", type=int, required=True)
    args = parser.parse_args()
    done = asyncio.Event()
    state = {"n": 0, "first": None}
    client = SignalRClient(args.url)

    async def on_open():
        print("ready", flush=True)

    async def on_quote(arguments):
        if state["first"] is None:
            state["first"], state["cpu"] = time.perf_counter(), time.process_time()
        state["n"] += 1
        if state["n"] == args.messages:
            state["last"], state["cpu_end"] = time.perf_counter(), time.process_time()
            done.set()

    client.on_open(on_open)
    client.on("GatewayQuote", on_quote)
    runner = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(done.wait(), 300)
    except TimeoutError:
        sys.exit(f"only {state['n']} of {args.messages} messages within 300 s")
    result = {
        "messages": state["n"],
        "elapsed_s": state["last"] - state["first"],
        "cpu_s": state["cpu_end"] - state["cpu"],
    }
    print(json.dumps(result), flush=True)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
