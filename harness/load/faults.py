"""Faults during a load run: Toxiproxy in front of the simulator, fault steps played on it.

``load.py --fault latency:market:5:10:ms=200`` runs this as a process (locust runs on gevent; the
fault layer is asyncio): it starts Toxiproxy, puts a proxy in front of the simulator and prints its
URL (the load users connect through it), waits for SIGUSR1 (the test started), plays the steps
(times count from then), and on SIGTERM removes the proxy and stops Toxiproxy. Once played, every
step applied or cleared is printed with its time, so the run's log says when the load met which
fault.

    python -m harness.load.faults --upstream 127.0.0.1:PORT --control URL --step SPEC [--step SPEC]

SPEC is ``FAULT:HUB:START:DURATION[:key=value,...]`` with a network recipe of ``harness/faults``
(partition, half_open, reset, latency, bandwidth, slicer, cut_after, refuse) or ``server:<name>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

from ..infra.toxiproxy import Toxiproxy, ToxiproxyServer
from ..run.history import RunHistory
from ..run.timeline import Player, Step, Timeline


def parse_step(spec: str) -> Step:
    """``FAULT:HUB:START:DURATION[:k=v,...]`` (values parsed as JSON when they are, else strings)."""
    parts = spec.split(":")
    if parts[0] == "server" and len(parts) > 1:  # server:<name> keeps its colon
        parts = [f"server:{parts[1]}", *parts[2:]]
    if len(parts) not in (4, 5):
        raise ValueError(f"--fault {spec!r}: expected FAULT:HUB:START:DURATION[:key=value,...]")
    fault, hub, start, duration = parts[:4]
    params: dict[str, Any] = {}
    for item in parts[4].split(",") if len(parts) == 5 else []:
        key, _, value = item.partition("=")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    try:
        return Step(float(start), fault, hub, float(duration), params)
    except ValueError:
        raise ValueError(f"--fault {spec!r}: START and DURATION are seconds") from None


async def serve(upstream: str, control: str, steps: list[Step]) -> None:
    go, stop = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, go.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    with ToxiproxyServer() as server:
        toxiproxy = Toxiproxy(server.url)
        try:
            proxy = await toxiproxy.create_proxy("load-market", upstream)
            print(f"proxy http://127.0.0.1:{proxy.port}", flush=True)
            history = RunHistory()
            player = Player(toxiproxy, {"market": proxy.name, "user": proxy.name}, control, history)
            waiting = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                [asyncio.ensure_future(go.wait()), waiting], return_when=asyncio.FIRST_COMPLETED
            )
            if go.is_set():
                playing = asyncio.ensure_future(player.play(Timeline(0, steps)))
                await asyncio.wait([playing, waiting], return_when=asyncio.FIRST_COMPLETED)
                playing.cancel()
                for entry in history.faults:
                    print(f"fault {json.dumps(entry)}", flush=True)
            await stop.wait()
        finally:
            await toxiproxy.delete_proxy("load-market")
            await toxiproxy.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="Toxiproxy faults during a load run (started by load.py).")
    parser.add_argument("--upstream", required=True, help="the simulator's host:port")
    parser.add_argument("--control", required=True, help="the simulator's base URL (server faults)")
    parser.add_argument("--step", action="append", default=[], help="FAULT:HUB:START:DURATION[:k=v,...]")
    args = parser.parse_args()
    try:
        steps = [parse_step(spec) for spec in args.step]
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    asyncio.run(serve(args.upstream, args.control, steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
