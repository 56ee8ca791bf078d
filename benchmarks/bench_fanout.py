"""Server fan-out: msg/s from one simulator process to 1 and 10 WebSocket clients on loopback,
next to a raw aiohttp WebSocket send loop of the same bytes, measured in the same run.

    .venv/bin/python benchmarks/bench_fanout.py [--messages N] [--repeat R]

Three senders, each to the same receiver process (benchmarks/fanout_receiver.py):
- raw:            aiohttp ``send_frame`` of the pre-encoded record, one frame per message;
- signalr:        ``Hub.broadcast`` (encode once per message, framing, send history, keep-alive
                  bookkeeping) with records coalesced into frames, as Kestrel does;
- signalr-1/frame: the same with coalescing off, one record per frame like the raw loop.
The figure of merit is the SignalR time per message over the raw loop's (target: at most 2x),
and SignalR msg/s (target: at least 50,000 from one process). Each row is the median of R runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
from collections import abc
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_codecs import QUOTE

from signalr_protocol import JSON
from simulator import Hub, ServerConfig, SimulatorServer

RECEIVER = Path(__file__).resolve().parent / "fanout_receiver.py"
PACE_BYTES = 1 << 20  # a producer waits while any client has more than this queued


class BenchHub(Hub):
    name = "bench"

    async def blast(self, count: int) -> None:
        for i in range(count):
            self.broadcast("GatewayQuote", QUOTE.arguments)
            if i % 256 == 255:
                for session in list(self.sessions.values()):
                    await session.wait_writable(PACE_BYTES)
                await asyncio.sleep(0)  # let the writers run


async def run_receiver(url: str, clients: int, messages: int, signalr: bool) -> dict[str, Any]:
    argv = [
        sys.executable,
        str(RECEIVER),
        "--url",
        url,
        "--clients",
        str(clients),
        "--messages",
        str(messages),
    ]
    proc = await asyncio.create_subprocess_exec(
        *(argv + (["--signalr"] if signalr else [])), stdout=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(300):
        out, _ = await proc.communicate()
    result: dict[str, Any] = json.loads(out)
    return result


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def signalr_run(clients: int, messages: int, coalesce: bool) -> dict[str, Any]:
    hub = BenchHub()
    server = SimulatorServer(ServerConfig(coalesce_frames=coalesce, send_buffer_limit_bytes=1 << 30), [hub])
    tasks: set[asyncio.Task[None]] = set()

    async def blast(request: web.Request) -> web.Response:
        task = asyncio.create_task(hub.blast(int(request.query["n"])))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return web.Response(text="ok")

    server.app.router.add_post("/bench/blast", blast)
    async with server:
        cpu = cpu_seconds()
        result = await run_receiver(server.url, clients, messages, signalr=True)
        result["server_cpu_s"] = cpu_seconds() - cpu
    return result


async def raw_run(clients: int, messages: int) -> dict[str, Any]:
    payload = JSON.encode(QUOTE)
    sockets: list[web.WebSocketResponse] = []
    done = asyncio.Event()

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        sockets.append(ws)
        await done.wait()
        return ws

    async def send_all(ws: web.WebSocketResponse, count: int) -> None:
        for _ in range(count):
            await ws.send_frame(payload, WSMsgType.TEXT)

    async def blast(request: web.Request) -> web.Response:
        count = int(request.query["n"])
        task = asyncio.create_task(asyncio.wait([asyncio.create_task(send_all(ws, count)) for ws in sockets]))
        task.add_done_callback(lambda _: done.set())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/raw", socket)
    app.router.add_post("/bench/blast", blast)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        cpu = cpu_seconds()
        result = await run_receiver(f"http://{host}:{port}", clients, messages, signalr=False)
        result["server_cpu_s"] = cpu_seconds() - cpu
    finally:
        done.set()
        await runner.cleanup()
    return result


def median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    rate = statistics.median(r["messages"] / r["elapsed_s"] for r in results)
    return {
        "rate": rate,
        "server_cpu": statistics.median(r["server_cpu_s"] / r["elapsed_s"] for r in results),
        "receiver_cpu": statistics.median(r["cpu_s"] / r["elapsed_s"] for r in results),
    }


async def main(args: argparse.Namespace) -> None:
    senders: dict[str, abc.Callable[[int, int], abc.Awaitable[dict[str, Any]]]] = {
        "raw": raw_run,
        "signalr": lambda c, m: signalr_run(c, m, coalesce=True),
        "signalr-1/frame": lambda c, m: signalr_run(c, m, coalesce=False),
    }
    print(
        f"{'clients':>7} {'sender':<16} {'msg/s':>10} {'vs raw (time/msg)':>18} {'server CPU':>11} {'receiver CPU':>13}"
    )
    for clients in (1, 10):
        per_client = args.messages // clients
        rows = {}
        for name, run in senders.items():
            rows[name] = median_run([await run(clients, per_client) for _ in range(args.repeat)])
        for name, row in rows.items():
            ratio = rows["raw"]["rate"] / row["rate"]
            print(
                f"{clients:>7} {name:<16} {row['rate']:>10,.0f} {ratio:>17.2f}x "
                f"{row['server_cpu']:>10.0%} {row['receiver_cpu']:>12.0%}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--messages", type=int, default=100_000, help="deliveries per run, split over clients"
    )
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
