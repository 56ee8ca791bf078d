"""memray's cost on the client under test, and what its windows weigh on disk.

    .venv/bin/python benchmarks/bench_soak.py [--seconds S] [--high-rate R]

For each tracking mode (none, malloc-level, Python allocators traced) two soak runs of S seconds
without faults (a fresh simulator, Toxiproxy and reference client each time): at 1000 msg/s
offered, the client's CPU per received message; at ``--high-rate`` offered, the msg/s the client
actually received (its ceiling on this machine, when it is the bottleneck). Plus the memray files
per hour of run. The growth verdict is printed too: a clean client should pass in every mode.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.soak.config import SoakConfig  # noqa: E402
from harness.soak.runner import SoakRun  # noqa: E402

MODES = {"none": {"memray": False}, "malloc": {"pyalloc": False}, "pyalloc": {"pyalloc": True}}


def run(seconds: float, rate: float, mode: str, out: Path) -> dict[str, object]:
    config = SoakConfig(duration_s=seconds, rate=rate, faults=False, seed=3, **MODES[mode])  # type: ignore[arg-type]
    result = asyncio.run(SoakRun(config, out / f"{mode}-{rate:g}", progress=lambda _: None).run())
    heap = next((v for v in result.verdicts if v.name == "heap_growth_bounded"), None)
    return {**result.figures, "heap_ok": heap.ok if heap else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--high-rate", type=float, default=20000.0)
    args = parser.parse_args()
    print(
        f"{'mode':8} {'CPU us/msg @1k':>15} {'msg/s @' + format(args.high_rate, 'g'):>14} {'files/h':>10} heap verdict"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for mode in MODES:
            low = run(args.seconds, 1000.0, mode, Path(tmp))
            high = run(args.seconds, args.high_rate, mode, Path(tmp))
            per_hour = low.get("capture_bytes_per_hour") or 0.0
            print(
                f"{mode:8} {low['client_cpu_us_per_msg'] or 0:15.1f} {high['received_msgs_per_s'] or 0:14.0f} "
                f"{per_hour / 1e6:8.2f} MB {'-' if low['heap_ok'] is None else 'pass' if low['heap_ok'] else 'FAIL'}",
                flush=True,
            )


if __name__ == "__main__":
    main()
