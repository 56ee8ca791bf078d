"""Capture overhead: hub records per second and the latency each record gains through
``python -m harness.capture`` (run as its own process, as a developer runs it), against the same
client connected to the upstream directly, measured in the same run.

    .venv/bin/python benchmarks/bench_capture.py [--records N] [--paced N] [--rate R] [--repeat K]

A minimal upstream hub (aiohttp, in this process) answers the handshake and, when the client
invokes ``Blast(count, rate)``, sends ``count`` GatewayQuote invocations, one per frame: as fast
as the socket takes them (throughput) or ``rate`` per second, each stamped with its send time
(latency: receive time minus send time, one clock, since sender and receiver share this process).
Throughput rows are the median of K runs; the proxy's CPU is its own process's user+system time
over the run's wall time (100% = one core). JSON and MessagePack both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from aiohttp import WSMsgType, web

from signalr_protocol import JSON, MESSAGEPACK, HandshakeRequest, HubProtocol, Invocation, protocol_named
from signalr_protocol.handshake import parse_handshake_request

ROOT = Path(__file__).resolve().parents[1]
QUOTE = {
    "symbol": "F.US.MNQ",
    "symbolName": "/MNQ",
    "lastPrice": 21000.25,
    "bestBid": 21000.0,
    "bestAsk": 21000.5,
    "change": 12.5,
    "changePercent": 0.06,
    "open": 20987.75,
    "high": 21010.0,
    "low": 20980.0,
    "volume": 123456,
    "lastUpdated": "2026-12-02T12:00:00.000+00:00",
    "timestamp": "2026-12-02T12:00:00.000+00:00",
}


def quote(protocol: HubProtocol, sent_at: float = 0.0) -> bytes:
    return protocol.encode(Invocation("GatewayQuote", ["CON.F.US.MNQ.Z26", QUOTE | {"sentAt": sent_at}]))


async def hub(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False, max_msg_size=0)
    await ws.prepare(request)
    protocol: HubProtocol = JSON
    async for frame in ws:
        data = frame.data if isinstance(frame.data, bytes) else frame.data.encode()
        if data.startswith(b'{"protocol"'):
            protocol = protocol_named(parse_handshake_request(data.split(b"\x1e")[0]).protocol) or JSON
            await ws.send_frame(b"{}\x1e", WSMsgType.BINARY if protocol.binary else WSMsgType.TEXT)
            continue
        [record] = protocol.new_reader().feed(data)
        blast = protocol.decode(record)
        assert isinstance(blast, Invocation)
        count, rate = blast.arguments
        await send(ws, protocol, count, rate)
    return ws


async def send(ws: web.WebSocketResponse, protocol: HubProtocol, count: int, rate: float) -> None:
    opcode = WSMsgType.BINARY if protocol.binary else WSMsgType.TEXT
    if not rate:
        record = quote(protocol)
        for _ in range(count):
            await ws.send_frame(record, opcode)
        return
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await ws.send_frame(quote(protocol, time.perf_counter()), opcode)


async def receive(url: str, protocol: HubProtocol, count: int, rate: float) -> tuple[float, list[float]]:
    """Wall seconds from the Blast to the last record, and each record's latency (paced runs)."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{url}/hubs/bench", max_msg_size=0) as ws:
        await ws.send_str(HandshakeRequest(protocol.name, 1).encode().decode())
        await ws.receive()
        reader = protocol.new_reader()
        started = time.perf_counter()
        blast = protocol.encode(Invocation("Blast", [count, rate]))
        await (ws.send_bytes(blast) if protocol.binary else ws.send_str(blast.decode()))
        seen = 0
        while seen < count:
            frame = await ws.receive()
            now = time.perf_counter()
            data = frame.data if isinstance(frame.data, bytes) else frame.data.encode()
            for record in reader.feed(data):
                seen += 1
                if rate:
                    message = protocol.decode(record)
                    assert isinstance(message, Invocation)
                    latencies.append(now - message.arguments[1]["sentAt"])
        return time.perf_counter() - started, latencies


async def start_capture(upstream: str, out: Path) -> tuple[asyncio.subprocess.Process, str]:
    argv = [sys.executable, "-m", "harness.capture", "--upstream", upstream, "--out", str(out), "--force"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env
    )
    assert proc.stdout is not None
    async with asyncio.timeout(20):
        line = (await proc.stdout.readline()).decode()
    return proc, line.split()[3]


def cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 1 else values[0]


async def main(args: argparse.Namespace) -> None:
    app = web.Application()
    app.router.add_get("/hubs/bench", hub)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    upstream = f"http://{host}:{port}"
    out = Path(tempfile.mkdtemp(prefix="bench-capture-")) / "capture.jsonl"
    proc, proxy = await start_capture(upstream, out)
    try:
        print(f"{'protocol':<12} {'path':<8} {'records/s':>10} {'proxy CPU':>10} {'p50 ms':>8} {'p99 ms':>8}")
        for protocol in (JSON, MESSAGEPACK):
            rows: dict[str, dict[str, Any]] = {}
            for path, url in (("direct", upstream), ("capture", proxy)):
                rates, cpus = [], []
                for _ in range(args.repeat):
                    cpu = cpu_s(proc.pid)
                    elapsed, _ = await receive(url, protocol, args.records, 0)
                    rates.append(args.records / elapsed)
                    cpus.append((cpu_s(proc.pid) - cpu) / elapsed)
                _, latencies = await receive(url, protocol, args.paced, args.rate)
                ms = [x * 1000 for x in latencies]
                rows[path] = {"rate": statistics.median(rates), "cpu": statistics.median(cpus)}
                rows[path] |= {"p50": percentile(ms, 0.5), "p99": percentile(ms, 0.99)}
            for path, row in rows.items():
                cpu = f"{row['cpu']:.0%}" if path == "capture" else "-"
                print(
                    f"{protocol.name:<12} {path:<8} {row['rate']:>10,.0f} {cpu:>10} "
                    f"{row['p50']:>8.3f} {row['p99']:>8.3f}"
                )
            added = {q: rows["capture"][q] - rows["direct"][q] for q in ("p50", "p99")}
            slower = rows["direct"]["rate"] / rows["capture"]["rate"]
            print(
                f"{protocol.name:<12} added: {added['p50']:.3f} ms p50, {added['p99']:.3f} ms p99 per record; "
                f"throughput {slower:.2f}x lower"
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            await proc.wait()
        await runner.cleanup()
    lines = out.read_bytes().count(b"\n")
    print(f"capture file: {out.stat().st_size / 1e6:.1f} MB, {lines:,} lines")
    out.unlink()
    out.parent.rmdir()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000, help="records per throughput run")
    parser.add_argument("--paced", type=int, default=3_000, help="records per latency run")
    parser.add_argument("--rate", type=float, default=1_000.0, help="records/s in the latency run")
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
