"""Encode and decode rates of the hub protocols for a typical quote (a GatewayQuote invocation).

    .venv/bin/python benchmarks/bench_codecs.py [--count N] [--repeat R]

Single core, in-process. Each figure is messages per second, median and best of R runs: this
machine's neighbours make single runs swing by up to 2x.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import abc

from signalr_protocol import JSON, MESSAGEPACK, HubProtocol, Invocation

QUOTE = Invocation(
    "GatewayQuote",
    [
        "CON.F.US.MNQ.Z25",
        {
            "symbol": "F.US.MNQ",
            "symbolName": "/MNQ",
            "lastPrice": 21000.25,
            "bestBid": 21000.0,
            "bestAsk": 21000.25,
            "change": 1.5,
            "changePercent": 0.0001,
            "open": 20990.0,
            "high": 21001.0,
            "low": 20980.0,
            "volume": 1234,
            "lastUpdated": "2025-11-23T21:40:39Z",
            "timestamp": "2025-11-23T21:40:39Z",
        },
    ],
)


def rates(count: int, repeat: int, work: abc.Callable[[], object]) -> tuple[float, float]:
    """(median, best) messages per second over ``repeat`` runs of ``work`` handling ``count``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append(count / (time.perf_counter() - started))
    return statistics.median(samples), max(samples)


def measure(
    protocol: HubProtocol, count: int, repeat: int
) -> tuple[int, tuple[float, float], tuple[float, float]]:
    record = protocol.encode(QUOTE)
    stream = record * 1000

    def encode() -> None:
        for _ in range(count):
            protocol.encode(QUOTE)

    def decode() -> None:
        for _ in range(count // 1000):
            for item in protocol.new_reader().feed(stream):
                protocol.decode(item)

    return len(record), rates(count, repeat, encode), rates(count, repeat, decode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'protocol':<12} {'bytes':>5}  {'encode msg/s (median / best)':>30}  {'frame+decode msg/s (median / best)':>36}"
    )
    for protocol in (JSON, MESSAGEPACK):
        size, (enc_med, enc_best), (dec_med, dec_best) = measure(protocol, args.count, args.repeat)
        print(
            f"{protocol.name:<12} {size:>5}  {enc_med:>16,.0f} / {enc_best:>10,.0f}  {dec_med:>20,.0f} / {dec_best:>12,.0f}"
        )


if __name__ == "__main__":
    main()
