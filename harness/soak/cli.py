"""``python -m harness.soak``: one soak from the command line, seconds to 24 hours.

    python -m harness.soak --duration 30m --rate 1000
    python -m harness.soak --duration 60s --leak callbacks:10     # the detector must fail this

Exit status: 0 the memory stayed bounded, 1 a verdict failed, 2 bad flags, 3 the harness could not
run the soak (a process did not start, the client did not connect), 4 nothing failed but some
verdict is unknown (the client does not report a count it needs, e.g. its queue).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
import time
from pathlib import Path

from ..clients.reference import leak, size
from ..errors import HarnessError
from ..run.durations import duration
from ..run.report import RunAbout, write_index
from . import report
from .config import CLIENTS, SoakConfig
from .growth import Thresholds
from .report import SoakResult
from .runner import SoakRun

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = Thresholds()
# The schedule's faults last up to 3 s; closer together, one would end while the next holds the link,
# which Toxiproxy cannot do (``timeline.crossing``).
MIN_FAULT_EVERY_S = 4.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness.soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=duration, default=60.0, help="how long (60s, 30m, 24h; default 60s)")
    p.add_argument(
        "--rate", type=float, default=1000.0, help="hub messages/s offered to the client (default 1000)"
    )
    p.add_argument(
        "--client", choices=CLIENTS, default="reference", help="the client under test (default reference)"
    )
    p.add_argument(
        "--leak", type=leak, help="make the reference client leak: callbacks:N or bytes:RATE (per hour)"
    )
    p.add_argument("--seed", type=int, help="seed of the fault timeline (default: fresh, printed)")
    p.add_argument("--out", type=Path, help="report directory (default reports/soak/<time>-<seed>)")
    p.add_argument(
        "--window",
        type=duration,
        help="memray window length (default: 10 s up to 2 min runs, then duration/12 up to 30 min)",
    )
    p.add_argument("--warmup", type=duration, help="dropped from the verdict (default: one window)")
    p.add_argument(
        "--fault-every", type=duration, help="seconds between faults (default 15 s short, up to 5 min long)"
    )
    p.add_argument("--no-faults", dest="faults", action="store_false", help="steady load only")
    p.add_argument(
        "--no-memray", dest="memray", action="store_false", help="RSS and counts only (memray's cost)"
    )
    pyalloc = p.add_mutually_exclusive_group()
    pyalloc.add_argument(
        "--trace-python-allocators",
        dest="pyalloc",
        action="store_true",
        default=None,
        help="see small-object leaks (default up to 6 h runs; ~2x client CPU)",
    )
    pyalloc.add_argument("--no-trace-python-allocators", dest="pyalloc", action="store_false")
    p.add_argument(
        "--max-slope",
        type=size,
        default=None,
        help="heap growth allowed per hour (default 10MB under 5 min, 3MB under 1 h, then 2MB: docs/soak.md)",
    )
    p.add_argument(
        "--max-heap",
        type=size,
        default=DEFAULTS.max_heap_high_water,
        help="largest tracked heap of a window (default 256MB)",
    )
    p.add_argument(
        "--max-rss-slope",
        type=size,
        default=None,
        help="RSS growth per hour, the backstop (default 1GB under 10 min, 200MB under 1 h, then 64MB)",
    )
    return p


def config_from(args: argparse.Namespace) -> SoakConfig:
    return SoakConfig(
        duration_s=args.duration,
        rate=args.rate,
        client=args.client,
        leak=args.leak,
        seed=args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31),
        faults=args.faults,
        memray=args.memray,
        window_s=args.window,
        warmup_s=args.warmup,
        pyalloc=args.pyalloc,
        fault_every_s=args.fault_every,
        thresholds=Thresholds(
            max_heap_slope=args.max_slope, max_heap_high_water=args.max_heap, max_rss_slope=args.max_rss_slope
        ),
    )


async def _run(run: SoakRun) -> SoakResult:
    """The soak, where the first Ctrl-C or SIGTERM ends it early but still judged and reported
    (a second one interrupts for good)."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        print("soak: stop asked: ending the run, then the verdict (again to abort)", flush=True)
        run.request_stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    return await run.run()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.rate <= 0:
        parser().error("--rate must be above 0")
    config = config_from(args)
    if args.leak and args.client != "reference":
        parser().error("--leak makes the reference client leak: it needs --client reference")
    if args.fault_every is not None and args.fault_every < MIN_FAULT_EVERY_S:
        parser().error(
            f"--fault-every {args.fault_every:g}s: at least {MIN_FAULT_EVERY_S:g}s, so that each fault"
            " clears before the next (the longest lasts 3 s)"
        )
    if args.window is not None and args.window >= config.duration_s:
        parser().error(f"--window {args.window:g}s must be shorter than --duration {config.duration_s:g}s")
    out = args.out or ROOT / "reports" / "soak" / f"{time.strftime('%Y%m%d-%H%M%S')}-{config.seed}"
    print(
        f"soak: {config.duration_s:g} s at {config.rate:g} msg/s, seed {config.seed}, report in {out}",
        flush=True,
    )
    try:
        result = asyncio.run(_run(SoakRun(config, out, progress=lambda line: print(line, flush=True))))
    except (HarnessError, RuntimeError, OSError) as exc:
        print(f"soak: could not run: {exc}", file=sys.stderr)
        return 3
    if args.out is None:
        latest = out.parent / "latest"
        latest.unlink(missing_ok=True)
        latest.symlink_to(out.name)
    report.write(result, indexed=args.out is None)
    if args.out is None:  # the soak's page links back to the list of soaks
        write_index(out.parent, RunAbout("Memory soaks"))
    print(result.summary(), flush=True)
    return {"pass": 0, "fail": 1}.get(result.status, 4)  # 4: nothing failed, but some verdict is unknown
