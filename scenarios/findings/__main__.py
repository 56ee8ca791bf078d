"""``make findings``: run the catalogue (and the soak) against the reference client, the two
project-x-py versions and the two other ProjectX SDKs (topstep-sdk, projectx-sdk) with the findings
seed, record the run in ``docs/findings/run.json``, commit-ready timelines in
``scenarios/findings/timelines/``, and write ``docs/findings.md`` (and the README's summary).

The bare SignalR libraries have findings tables too, held to the same rules whenever they run
(``pytest scenarios -m chaos --client pysignalr-1.3.3``), but they are not on the page: several of
their cells depend on races inside the library (signalrcore's competing reconnect threads), so a
recorded run of them would not come out the same twice.

    python -m scenarios.findings                          # ~70 min on 2 cores
    python -m scenarios.findings --clients project-x-py-3.3.0   # re-run one column, keep the others
    python -m scenarios.findings --clients X --from-run reports/.../20261202-0400-1   # a run made elsewhere
    python -m scenarios.findings --write                  # regenerate the page from run.json only
    python -m scenarios.findings --check                  # exit 1 if the page is not what run.json gives

Exit status: 0 when every cell is as the tables claim, 1 when some cell is an error (the page is
written anyway, naming it), 2 on bad flags.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness.run import matrix

from .document import render, summary
from .record import ROOT, RUN_FILE, SEED, SOAK_DURATION, Recorded, timeline_file

PAGE = ROOT / "docs" / "findings.md"
README = ROOT / "README.md"
START, END = "<!-- findings-summary:start -->", "<!-- findings-summary:end -->"
CLIENTS = (
    "reference",
    "project-x-py-3.3.0",
    "project-x-py-4.4.1",
    "topstep-sdk-0.1.4",
    "projectx-sdk-0.2.39",
)


# Scenario files (scenarios/incidents/*.toml) are chaos scenarios too, but postmortems with no
# review id and no claims: the page is the catalogue's. `pytest scenarios/test_incidents.py --client X`
# judges a client by them.
INCIDENTS = "test_incident"


def command(client: str, reports: Path) -> list[str]:
    """The run a column of the page comes from: the catalogue and the client's soak, findings seed."""
    return [
        sys.executable, "-m", "pytest", "scenarios", "-m", "chaos or soak",
        "-k", f"not test_detector_catches and not {INCIDENTS}",
        "--client", client, "--chaos-seed", str(SEED), "--soak-duration", SOAK_DURATION,
        "--chaos-reports", str(reports), "-p", "no:cacheprovider", "-q",
    ]  # fmt: skip


def run_client(client: str, reports: Path) -> tuple[list[matrix.Outcome], float]:
    """The catalogue and the client's soak against ``client``; its outcomes and how long it took."""
    started = time.monotonic()
    out = reports / client
    argv = command(client, out)
    print(f"findings: {client}: {shlex.join(argv[2:])}", flush=True)
    subprocess.run(argv, cwd=ROOT, check=False)
    outcomes = recorded_outcomes((out / "latest").resolve())
    return outcomes, time.monotonic() - started


def from_run(client: str, run_dir: Path) -> tuple[list[matrix.Outcome], float]:
    """A column from a run already made with ``command`` (the same flags, the findings seed: its
    directory is ``<time>-<seed>``), e.g. by CI, instead of running it again."""
    if not (run_dir / "matrix.json").is_file() or not run_dir.name.endswith(f"-{SEED}"):
        raise SystemExit(f"findings: {run_dir} is not a run of seed {SEED} with a matrix.json")
    outcomes = [o for o in recorded_outcomes(run_dir) if o.client == client]
    if not outcomes:
        raise SystemExit(f"findings: {run_dir} holds no outcome for {client}")
    return outcomes, sum(o.took_s for o in outcomes)


def recorded_outcomes(run_dir: Path) -> list[matrix.Outcome]:
    """A run's outcomes, each scenario's timeline copied beside the tables (committed for replays)."""
    outcomes = matrix.load(run_dir) if (run_dir / "matrix.json").is_file() else []
    outcomes = [o for o in outcomes if not o.scenario.startswith(INCIDENTS)]
    for o in outcomes:
        timeline, target = run_dir / o.report / "timeline.json", timeline_file(o.scenario)
        if o.report and timeline.is_file() and "test_soak" not in o.report:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(timeline, target)
        elif o.report:
            target.unlink(missing_ok=True)  # no fault timeline this time: none to replay
    return outcomes


def check() -> int:
    """1 unless the page and the README's summary are what the tables and run.json give."""
    recorded = Recorded.load()
    if (
        PAGE.read_text() != render(recorded)
        or f"{START}\n{summary(recorded)}\n{END}" not in README.read_text()
    ):
        print(
            f"docs/findings.md or the README summary is not what {RUN_FILE.relative_to(ROOT)} gives: "
            "run `make findings-page`"
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scenarios.findings", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", help=f"comma-separated, from {', '.join(CLIENTS)} (default: all)")
    parser.add_argument("--write", action="store_true", help="only regenerate docs/findings.md from run.json")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 unless docs/findings.md is what run.json gives"
    )
    parser.add_argument(
        "--reports", type=Path, default=ROOT / "reports" / "findings", help="where the runs go"
    )
    parser.add_argument(
        "--from-run",
        type=Path,
        metavar="RUN_DIR",
        help="record --clients (one) from this finished run of the same command instead of running it",
    )
    args = parser.parse_args(argv)
    clients = [c.strip() for c in (args.clients or ",".join(CLIENTS)).split(",") if c.strip()]
    unknown = [c for c in clients if c not in CLIENTS]
    if unknown:
        parser.error(f"--clients: unknown {', '.join(unknown)}; choose from {', '.join(CLIENTS)}")
    if args.check:
        fresh = render(Recorded.load())
        if PAGE.read_text() != fresh:
            print(
                f"{PAGE.relative_to(ROOT)} is not what {RUN_FILE.relative_to(ROOT)} gives: run `make findings-page`"
            )
            return 1
        return 0
    if not args.write:
        recorded = Recorded.load() if RUN_FILE.is_file() else Recorded("", SEED, SOAK_DURATION)
        recorded.date, recorded.seed, recorded.soak_duration = time.strftime("%Y-%m-%d"), SEED, SOAK_DURATION
        if args.from_run is not None and len(clients) != 1:
            parser.error("--from-run: name exactly one client with --clients")
        for client in clients:
            outcomes, took = (
                from_run(client, args.from_run) if args.from_run else run_client(client, args.reports)
            )
            recorded.outcomes = [o for o in recorded.outcomes if o.client != client] + outcomes
            recorded.took_s[client] = round(took, 1)
            recorded.save()
    recorded = Recorded.load()
    PAGE.write_text(render(recorded))
    head, rest = README.read_text().split(START, 1)
    README.write_text(f"{head}{START}\n{summary(recorded)}\n{END}{rest.split(END, 1)[1]}")
    errors = [o for o in recorded.outcomes if o.outcome == "error"]
    print(f"findings: wrote {PAGE.relative_to(ROOT)} ({len(recorded.outcomes)} cells, {len(errors)} error)")
    for o in errors:
        print(f"  error: {o.client} {o.scenario}: {o.detail}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
