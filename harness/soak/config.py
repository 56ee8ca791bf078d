"""What a soak run is asked to do, and the defaults that scale with its length.

Every ``None`` is resolved from ``duration_s`` by ``resolved()``, so the same code runs 60 seconds
in CI and 24 hours at night: windows of 10 s for short runs up to 30 min for long ones, Python
allocator tracing on up to 6 hours (the sensitivity short runs need, at ~2x the client's CPU),
faults every 15 s in a minute's run, every 5 min in a day's.
"""

from __future__ import annotations

import math
import shlex
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..clients.registry import SOAKABLE
from .growth import MB, Thresholds

ROOT = Path(__file__).resolve().parents[2]

# The clients a soak can run and track: those speaking the whole-client driver protocol (the
# reference client, project-x-py in its own venv with memray added; ``harness/clients/registry.py``).
CLIENTS = SOAKABLE


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


@dataclass(frozen=True, slots=True)
class SoakConfig:
    duration_s: float = 60.0
    rate: float = 1000.0  # hub messages per second the simulator offers the client
    client: str = "reference"
    leak: str | None = None  # the reference client's deliberate leak: callbacks:N or bytes:RATE
    seed: int = 1
    faults: bool = True
    memray: bool = True  # off: RSS and counts only (to measure memray's own cost)
    window_s: float | None = None
    warmup_s: float | None = None
    pyalloc: bool | None = None
    fault_every_s: float | None = None
    churn_every_s: float | None = None
    sample_s: float | None = None
    settle_s: float | None = None
    sub_s: float | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)

    def resolved(self) -> SoakConfig:
        d = self.duration_s
        window = self.window_s or (10.0 if d <= 120 else _clamp(d / 12, 10.0, 1800.0))
        every = self.fault_every_s or (15.0 if d <= 120 else _clamp(d / 20, 30.0, 300.0))
        pyalloc = self.pyalloc if self.pyalloc is not None else d <= 6 * 3600
        slope = self.thresholds.max_heap_slope
        if slope is None:  # what the measured noise allows (docs/soak.md: sensitivity)
            slope = 10 * MB if not pyalloc or d < 300 else 3 * MB if d < 3600 else 2 * MB
        rss = self.thresholds.max_rss_slope
        if rss is None:
            rss = 1000 * MB if d < 600 else 200 * MB if d < 3600 else 64 * MB
        return replace(
            self,
            thresholds=replace(self.thresholds, max_heap_slope=slope, max_rss_slope=rss),
            window_s=window,
            warmup_s=self.warmup_s if self.warmup_s is not None else window,
            pyalloc=pyalloc,
            fault_every_s=every,
            churn_every_s=self.churn_every_s or every,
            sample_s=self.sample_s or _clamp(d / 600, 0.5, 30.0),
            settle_s=self.settle_s if self.settle_s is not None else _clamp(window / 10, 1.0, 60.0),
            sub_s=self.sub_s or _clamp(window / 20, 0.5, 60.0),
        )

    @property
    def warmup_windows(self) -> int:
        """Windows dropped as warm-up: those that start before ``warmup_s`` has passed."""
        assert self.window_s is not None
        assert self.warmup_s is not None
        return math.ceil(self.warmup_s / self.window_s - 1e-9)

    @property
    def interval_ms(self) -> int:
        """memray's snapshot period: five snapshots per sub-window, between 100 ms and 1 s."""
        assert self.sub_s is not None
        return int(_clamp(self.sub_s * 200, 100, 1000))

    def command(self) -> str:
        """The command line that runs this soak again."""
        python = ".venv/bin/python" if (ROOT / ".venv/bin/python").exists() else Path(sys.executable).name
        parts = [
            python,
            "-m",
            "harness.soak",
            "--duration",
            f"{self.duration_s:g}s",
            "--rate",
            f"{self.rate:g}",
        ]
        parts += ["--seed", str(self.seed), "--client", self.client]
        if self.leak:
            parts += ["--leak", self.leak]
        if not self.faults:
            parts.append("--no-faults")
        if not self.memray:
            parts.append("--no-memray")
        for flag, value in (("--window", self.window_s), ("--warmup", self.warmup_s)):
            if value is not None:
                parts += [flag, f"{value:g}s"]
        if self.pyalloc is not None:
            parts.append("--trace-python-allocators" if self.pyalloc else "--no-trace-python-allocators")
        return shlex.join(parts)
