"""The load path end to end: ``locust -f load.py`` against a simulator process, for 1, 10 and 100
users at increasing rates until saturation.

    .venv/bin/python benchmarks/bench_load.py [--seconds S] [--processes N] [--users 1,10,100]

For each (users, offered msg/s) one headless locust run of S seconds (a fresh simulator each time):
received msg/s, p50/p99 latency (microsecond histogram, simulator send to receipt), and the CPU
of the simulator and of locust (all its processes, sampled every 0.5 s) as a share of one core. A
step saturates when it receives under 95% of what was offered (the ramp and a 10 s window cost
~2%); the busiest process then says where (simulator or locust). Offered msg/s = users x 5 x rate: each user subscribes one contract, and a
contract's quote, trade and depth events at ``rate`` each make 5 hub messages a second.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.load import simulator  # noqa: E402
from simulator.config import CONTROL_TOKEN_ENV  # noqa: E402

OFFERED = (1_000, 5_000, 10_000, 20_000, 40_000, 80_000)


def cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def step(users: int, offered: int, seconds: float, processes: int) -> dict[str, float]:
    rate = offered / users / 5
    with tempfile.TemporaryDirectory() as tmp:
        sim = simulator.start(4, "MNQ,MES,NQ,ES", Path(tmp) / "simulator.log")
        try:
            sim_process = psutil.Process(sim.pid)
            argv = [sys.executable, "-m", "locust", "-f", str(ROOT / "load.py"), "--headless", "--only-summary",
                    "-u", str(users), "-r", str(max(users, 10)), "-t", f"{seconds:g}s", "--rate", f"{rate:g}",
                    "--host", sim.url, "--reset-stats"]  # fmt: skip
            if processes > 1:
                argv += ["--processes", str(processes)]
            sim_cpu = cpu_seconds(sim_process)
            started = time.monotonic()
            env = {**os.environ, CONTROL_TOKEN_ENV: sim.control_token}  # load.py sets the rates through it
            locust = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp, env=env
            )
            locust_process = psutil.Process(locust.pid)
            locust_cpu = 0.0
            while locust.poll() is None:
                locust_cpu = max(locust_cpu, cpu_seconds(locust_process))
                time.sleep(0.5)
            wall = time.monotonic() - started
            out = locust.stdout.read() if locust.stdout else ""
            sim_cpu = cpu_seconds(sim_process) - sim_cpu
        finally:
            sim.stop()
    received = re.search(r"load: received (\d+) hub messages in ([\d.]+) s: (\d+) msg/s", out)
    latency = re.search(r"load: latency us p50 (\d+), p99 (\d+)", out)
    if not received or not latency:
        raise SystemExit(f"locust did not report:\n{out[-2000:]}")
    return {
        "offered": offered,
        "received": float(received.group(3)),
        "p50_ms": int(latency.group(1)) / 1000,
        "p99_ms": int(latency.group(2)) / 1000,
        "sim_cpu": 100 * sim_cpu / wall,
        "locust_cpu": 100 * locust_cpu / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--processes", type=int, default=1, help="locust worker processes (default 1)")
    parser.add_argument("--users", default="1,10,100")
    args = parser.parse_args()
    print(f"locust processes: {args.processes}; {args.seconds:g} s per step; CPU in % of one core "
          f"(this machine: {psutil.cpu_count()} cores)")  # fmt: skip
    print(
        f"{'users':>5} {'offered':>8} {'received':>9} {'p50 ms':>8} {'p99 ms':>8} {'sim cpu':>8} {'locust cpu':>10}"
    )
    for users in (int(u) for u in args.users.split(",")):
        for offered in OFFERED:
            row = step(users, offered, args.seconds, args.processes)
            print(f"{users:>5} {offered:>8} {row['received']:>9.0f} {row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f} "
                  f"{row['sim_cpu']:>7.0f}% {row['locust_cpu']:>9.0f}%", flush=True)  # fmt: skip
            if row["received"] < 0.95 * offered:
                where = "simulator" if row["sim_cpu"] >= row["locust_cpu"] else "locust"
                print(f"{users:>5} saturated at ~{row['received']:.0f} msg/s: {where} is the busiest process")
                break


if __name__ == "__main__":
    main()
