"""Receiving side of bench_fanout: K WebSocket clients in one process that count records.

Prints one JSON line: {"messages": total, "elapsed_s": trigger-to-last, "cpu_s": process CPU}.
Run by bench_fanout.py; not meant to be run by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time

import aiohttp


async def open_socket(
    http: aiohttp.ClientSession, base: str, signalr: bool
) -> aiohttp.ClientWebSocketResponse:
    if not signalr:
        return await http.ws_connect(f"{base}/raw", max_msg_size=0)
    async with http.post(f"{base}/hubs/bench/negotiate") as response:
        connection_id = (await response.json())["connectionId"]
    ws = await http.ws_connect(f"{base}/hubs/bench", params={"id": connection_id}, max_msg_size=0)
    await ws.send_str('{"protocol":"json","version":1}\x1e')
    assert (await ws.receive()).data == "{}\x1e"
    return ws


async def count(ws: aiohttp.ClientWebSocketResponse, expect: int, last: list[float]) -> int:
    seen = 0
    while seen < expect:
        frame = await ws.receive()
        if frame.type is not aiohttp.WSMsgType.TEXT:
            break
        seen += frame.data.count("\x1e")
    last.append(time.perf_counter())
    return seen


async def main(args: argparse.Namespace) -> None:
    async with aiohttp.ClientSession() as http:
        sockets = [await open_socket(http, args.url, args.signalr) for _ in range(args.clients)]
        last: list[float] = []
        counters = [asyncio.create_task(count(ws, args.messages, last)) for ws in sockets]
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        async with http.post(f"{args.url}/bench/blast", params={"n": str(args.messages)}) as response:
            assert response.status == 200
        seen = sum(await asyncio.gather(*counters))
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        for ws in sockets:
            await ws.close()
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    print(json.dumps({"messages": seen, "elapsed_s": max(last) - started, "cpu_s": cpu}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True, help="per client")
    parser.add_argument("--signalr", action="store_true")
    asyncio.run(main(parser.parse_args()))
