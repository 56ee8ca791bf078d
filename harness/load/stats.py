"""Numbers of a load run that locust's own stats cannot give: latency at microsecond resolution
(locust rounds everything under 100 ms to whole milliseconds), sequence gaps per stream, and the
thresholds that decide the run's exit code. Pure data, mergeable across worker processes.
"""

from __future__ import annotations

import math
from collections import abc
from dataclasses import dataclass, field
from typing import Any

# Buckets ~2.3% wide from 1 us to ~1000 s: enough resolution for p99 at any rate.
_STEPS_PER_DOUBLING = 30


def _bucket(latency_us: float) -> int:
    return 0 if latency_us < 1.0 else 1 + int(math.log2(latency_us) * _STEPS_PER_DOUBLING)


def _upper_us(bucket: int) -> float:
    return 1.0 if bucket == 0 else 2.0 ** (bucket / _STEPS_PER_DOUBLING)


@dataclass(slots=True)
class Histogram:
    """Latencies in microseconds: count per log bucket, plus exact min, max and sum."""

    counts: dict[int, int] = field(default_factory=dict)
    n: int = 0
    total_us: float = 0.0
    max_us: float = 0.0

    def reset(self) -> None:
        self.counts = {}
        self.n = 0
        self.total_us = 0.0
        self.max_us = 0.0

    def add(self, latency_us: float) -> None:
        bucket = _bucket(max(latency_us, 0.0))
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.n += 1
        self.total_us += latency_us
        self.max_us = max(self.max_us, latency_us)

    def percentile(self, q: float) -> float:
        """The latency (us, the bucket's upper edge) that ``q`` (0..1) of the samples are under."""
        if not self.n:
            return 0.0
        wanted = max(1, math.ceil(q * self.n))
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= wanted:
                return min(_upper_us(bucket), self.max_us)
        return self.max_us

    def merge(self, other: Histogram) -> None:
        for bucket, n in other.counts.items():
            self.counts[bucket] = self.counts.get(bucket, 0) + n
        self.n += other.n
        self.total_us += other.total_us
        self.max_us = max(self.max_us, other.max_us)

    def to_dict(self) -> dict[str, Any]:
        return {"counts": {str(b): n for b, n in self.counts.items()}, "n": self.n, "total_us": self.total_us,
                "max_us": self.max_us}  # fmt: skip

    @classmethod
    def from_dict(cls, data: abc.Mapping[str, Any]) -> Histogram:
        counts = {int(b): int(n) for b, n in data["counts"].items()}
        return cls(counts, int(data["n"]), float(data["total_us"]), float(data["max_us"]))


class SeqTracker:
    """The last ``seq`` per stream (target, key); a jump is a gap of that many messages."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, str], int] = {}
        self.gaps = 0
        self.missing = 0

    def check(self, target: str, key: str, seq: int) -> int:
        """Messages missing before this one (0 when in order; a repeat or an older one is 0 too)."""
        stream = (target, key)
        previous = self.last.get(stream)
        if previous is not None and seq <= previous:
            return 0
        self.last[stream] = seq
        if previous is None or seq == previous + 1:
            return 0
        self.gaps += 1
        self.missing += seq - previous - 1
        return seq - previous - 1


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    lines: tuple[str, ...]


def judge(
    *, received: int, seconds: float, gaps: int, p99_us: float, min_rate: float, max_p99_ms: float
) -> Verdict:
    """The run passes when it received at least ``min_rate`` msg/s (0: no floor), its p99 is under
    ``max_p99_ms`` (0: no ceiling), and no stream had a gap."""
    rate = received / seconds if seconds > 0 else 0.0
    head = (
        f"received {received} hub messages in {seconds:.1f} s: {rate:.0f} msg/s; p99 {p99_us / 1000:.3f} ms"
    )
    lines = [f"{head}; {gaps} sequence gaps"]
    ok = True
    if min_rate and rate < min_rate:
        ok = False
        lines.append(f"FAIL: {rate:.0f} msg/s is below the floor of {min_rate:.0f} (--min-msgs-per-s)")
    if max_p99_ms and p99_us / 1000 > max_p99_ms:
        ok = False
        lines.append(f"FAIL: p99 {p99_us / 1000:.3f} ms is over {max_p99_ms:g} ms (--max-p99-ms)")
    if gaps:
        ok = False
        lines.append(f"FAIL: {gaps} sequence gaps: messages were lost")
    if received == 0:
        ok = False
        lines.append("FAIL: nothing was received")
    return Verdict(ok, tuple(lines))
