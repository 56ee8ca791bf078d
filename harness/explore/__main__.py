"""``python -m harness.explore``: search for a fault timeline that breaks a client, shrink it, replay it.

    python -m harness.explore --client reference --explore-budget 2m
    python -m harness.explore --client project-x-py-3.3.0 --explore-budget 10m --explore-seed 7
    python -m harness.explore --client reference --explore-faults partition,expire_tokens,churn

It starts its own Toxiproxy (as the scenarios do), prints a line per run and a summary, and writes
``<reports>/<time>-<seed>/explore-<client>/`` (``summary.txt``, ``summary.json``, the failing runs'
reports, ``found/timeline.json``). The same search under pytest: ``pytest scenarios -m explore``.

Exit status: 0 nothing found (or only flaky failures, reported as such), 1 a failure that replays
reliably, 2 bad flags, 3 the harness could not run (Toxiproxy missing, a port in use), 130 Ctrl-C
(after the summary of what was found so far).
"""

from __future__ import annotations

import argparse
import logging
import random
import shlex
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

from ..clients.registry import client_argument
from ..errors import HarnessError
from ..infra.toxiproxy import ToxiproxyServer
from ..run.durations import duration
from ..run.report import RunAbout, write_index
from .result import shown, slug
from .search import Explorer, Settings
from .vocabulary import MOVES, NAMES, narrow

ROOT = Path(__file__).resolve().parents[2]


def _faults(text: str) -> tuple[str, ...]:
    try:
        return narrow(text.split(","))
    except HarnessError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--explore-faults: ")) from None


def vocabulary() -> str:
    lines = [f"  {name:27} {move.describes}" for name, move in MOVES.items()]
    return "\n".join([*lines, f"  {'churn':27} the client unsubscribes a stream, then subscribes it again"])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m harness.explore",
        description="Search for a fault timeline that breaks a client, shrink it, replay it.",
        epilog="the vocabulary (--explore-faults):\n" + vocabulary(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--client",
        metavar="NAME",
        type=client_argument,
        default="reference",
        help="the client under test (default reference)",
    )
    p.add_argument(
        "--explore-budget",
        metavar="DURATION",
        type=duration,
        default=120.0,
        help="search time: 90s, 10m (default 2m)",
    )
    p.add_argument(
        "--explore-seed",
        metavar="N",
        type=int,
        help="Hypothesis's seed and the market data's (default: fresh)",
    )
    p.add_argument(
        "--explore-faults",
        metavar="NAMES",
        type=_faults,
        default=NAMES,
        help="comma-separated names to draw from (default all)",
    )
    p.add_argument(
        "--explore-shrink-budget",
        metavar="DURATION",
        type=duration,
        default=180.0,
        help="time to shrink a failure (default 3m)",
    )
    p.add_argument(
        "--explore-example-timeout",
        metavar="DURATION",
        type=duration,
        default=90.0,
        help="one run's wall-time bound (default 90s)",
    )
    p.add_argument(
        "--explore-replays",
        metavar="N",
        type=int,
        default=3,
        help="replays of the shrunk example (default 3)",
    )
    p.add_argument(
        "--explore-max-found",
        metavar="N",
        type=int,
        help="stop after this many different failures (default: the whole budget)",
    )
    p.add_argument(
        "--reports",
        metavar="DIR",
        type=Path,
        default=ROOT / "reports",
        help="where runs go (default reports/)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.explore_replays < 1 or (args.explore_max_found is not None and args.explore_max_found < 1):
        parser().error("--explore-replays and --explore-max-found: at least 1")
    seed = args.explore_seed if args.explore_seed is not None else random.SystemRandom().randrange(1, 2**31)
    config = Settings(
        args.client,
        budget_s=args.explore_budget,
        seed=seed,
        faults=args.explore_faults,
        shrink_budget_s=args.explore_shrink_budget,
        example_timeout_s=args.explore_example_timeout,
        replays=args.explore_replays,
        max_found=args.explore_max_found,
    )
    run_dir = args.reports / f"{time.strftime('%Y%m%d-%H%M%S')}-{seed}"
    directory = run_dir / f"explore-{slug(args.client)}"
    directory.mkdir(parents=True, exist_ok=True)
    # What clients log (the reference client logs each callback failure) goes to a file.
    logging.basicConfig(filename=directory / "explore.log", level=logging.INFO, force=True)
    print(
        f"explore: {args.client}, seed {seed}, budget {args.explore_budget:g} s; runs in {directory}",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)  # a CI runner's stop: still stop cleanly and summarise
    command = shlex.join(["python", "-m", "harness.explore", *(sys.argv[1:] if argv is None else argv)])
    about = RunAbout("Exploration", seed, (args.client,), time.time(), None, command)
    try:
        with ToxiproxyServer(log_path=run_dir / "toxiproxy.log") as toxiproxy:
            explorer = Explorer(
                config,
                toxiproxy,
                directory,
                progress=lambda line: print(line, flush=True),
                database=args.reports / "explore-db" / slug(args.client),
                shown=shown,
            )
            try:
                summary = explorer.run()
            except KeyboardInterrupt:
                print("\n".join(explorer.summary.lines()), flush=True)
                return 130
            finally:  # the pages of the runs so far, and a way between them
                write_index(run_dir, replace(about, ended=time.time()))
    except HarnessError as exc:
        print(f"explore: {exc}", file=sys.stderr)
        return 3
    print("\n".join(summary.lines()), flush=True)
    return 1 if summary.reliable else 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
