"""Receiving side of bench_streams: one market-hub client subscribed to every kind of event of the
contracts named, counting the records it gets for S seconds after its first event.

Prints one JSON line: {"messages": n, "elapsed_s": s}. Run by bench_streams.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp

METHODS = ("SubscribeContractQuotes", "SubscribeContractTrades", "SubscribeContractMarketDepth")


async def main(args: argparse.Namespace) -> None:
    async with aiohttp.ClientSession() as http:
        login = {"userName": "sim", "apiKey": "sim-api-key-0001"}
        async with http.post(f"{args.url}/api/Auth/loginKey", json=login) as response:
            token = (await response.json())["token"]
        auth = {"access_token": token}
        async with http.post(f"{args.url}/hubs/market/negotiate", params=auth) as response:
            connection_id = (await response.json())["connectionId"]
        ws = await http.ws_connect(
            f"{args.url}/hubs/market", params={"id": connection_id, **auth}, max_msg_size=0
        )
        await ws.send_str('{"protocol":"json","version":1}\x1e')
        await ws.receive()
        for n, contract in enumerate(args.contracts):
            for method in METHODS:
                invocation = {
                    "type": 1,
                    "invocationId": f"{n}{method}",
                    "target": method,
                    "arguments": [contract],
                }
                await ws.send_str(json.dumps(invocation) + "\x1e")
        seen = 0
        started = deadline = None
        while deadline is None or time.perf_counter() < deadline:
            frame = await ws.receive()
            if frame.type is not aiohttp.WSMsgType.TEXT:
                break
            if started is None:
                started = time.perf_counter()
                deadline = started + args.seconds
            else:
                seen += frame.data.count("\x1e")
        elapsed = time.perf_counter() - (started or time.perf_counter())
        await ws.close()
    print(json.dumps({"messages": seen, "elapsed_s": elapsed}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("contracts", nargs="+")
    asyncio.run(main(parser.parse_args()))
