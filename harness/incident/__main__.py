"""``python -m harness.incident``: turn a capture into a scenario file, check scenario files, and
replay one against any client.

    python -m harness.incident example incident.jsonl --client reference   (an incident to try it on)
    python -m harness.incident build incident.jsonl -o incident.toml
    python -m harness.incident check scenarios/incidents/*.toml
    python -m harness.incident replay incident.toml --client project-x-py-3.3.0

``replay`` starts its own Toxiproxy (as the scenarios do), prints each verdict, the report's path
and the line that replays it, and writes ``<reports>/<time>-incident/<name>-<client>/``. The same
under pytest: ``pytest scenarios/test_incidents.py -m chaos --scenario-file FILE --client NAME``.

Exit status: 0 every verdict passed (or is unknown), 1 an invariant failed, 2 bad flags or a bad
file (the line and the reason; an output that exists), 3 the harness could not run (Toxiproxy
missing, a port in use).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

from ..chaos import ChaosRun
from ..clients.registry import client_argument
from ..errors import HarnessError
from ..infra.toxiproxy import ToxiproxyServer
from ..run.report import RunAbout, write_index
from ..run.verdicts import Verdict
from .build import CaptureError, build
from .example import FAULTS, capture_session
from .runner import chaos_run, play, replay_command
from .scenario import ScenarioFile, ScenarioFileError, load

ROOT = Path(__file__).resolve().parents[2]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m harness.incident", description="Production incidents as scenario files."
    )
    commands = p.add_subparsers(dest="command", required=True, metavar="{example,build,check,replay}")
    e = commands.add_parser(
        "example",
        help="capture an incident from the simulator: a client through the capture, faults out of band",
    )
    e.add_argument("out", type=Path, help="the capture file to write (JSON lines)")
    e.add_argument(
        "--client", type=client_argument, default="reference", metavar="NAME", help="default reference"
    )
    e.add_argument("--reports", type=Path, default=ROOT / "reports", metavar="DIR", help="default reports/")
    b = commands.add_parser("build", help="a capture (python -m harness.capture) -> a scenario file")
    b.add_argument("capture", type=Path, help="the capture file (JSON lines)")
    b.add_argument("-o", "--out", type=Path, required=True, help="the scenario file to write (.toml)")
    b.add_argument("--title", help="the scenario's title (default: said from what the capture shows)")
    b.add_argument("--force", action="store_true", help="overwrite OUT and its recording if they exist")
    c = commands.add_parser("check", help="check scenario files: each one's first problem, with its line")
    c.add_argument("files", type=Path, nargs="+")
    r = commands.add_parser("replay", help="run a scenario file against a client")
    r.add_argument("file", type=Path, help="the scenario file (.toml)")
    r.add_argument(
        "--client", type=client_argument, default="reference", metavar="NAME", help="default reference"
    )
    r.add_argument("--reports", type=Path, default=ROOT / "reports", metavar="DIR", help="default reports/")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "example":
            return _example(args.out, args.client, args.reports)
        if args.command == "build":
            return _build(args)
        if args.command == "check":
            return _check(args.files)
        return _replay(load(args.file), args.client, args.reports)
    except (ScenarioFileError, CaptureError) as exc:
        print(f"incident: {exc}", file=sys.stderr)
        return 2
    except HarnessError as exc:
        print(f"incident: {exc}", file=sys.stderr)
        return 3


def _example(out: Path, client: str, reports: Path) -> int:
    if out.exists():
        raise HarnessError(f"{out} exists: the capture refuses to overwrite it; choose another name")
    directory = reports / f"{time.strftime('%Y%m%d-%H%M%S')}-incident" / f"example-{client}"
    directory.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=directory / "incident.log", level=logging.INFO, force=True)
    said = "; ".join(f"{s.at_s:g} s {s.fault} on {s.hub}" for s in FAULTS)
    print(f"incident example: {client} through the capture for 8 s; out of band: {said}", flush=True)
    with ToxiproxyServer(log_path=directory / "toxiproxy.log") as toxiproxy:
        verdicts = asyncio.run(_captured(out.resolve(), client, toxiproxy.url, directory))
    failed = [v.name for v in verdicts if v.failed]
    print(f"  live, the client {'failed ' + ', '.join(failed) if failed else 'passed'}; report: {directory}")
    print(
        f"wrote {out}\nnext: .venv/bin/python -m harness.incident build {out} -o {out.with_suffix('.toml')}"
    )
    return 0


async def _captured(out: Path, client: str, url: str, directory: Path) -> list[Verdict]:
    async with ChaosRun("incident-example", 1, directory, url, client=client) as run:
        verdicts = await capture_session(run, out)
        run.record(verdicts)
    return verdicts


def _build(args: argparse.Namespace) -> int:
    made = build(args.capture, args.out, title=args.title, force=args.force)
    print(f"incident: wrote {made.scenario} ({made.steps} fault steps)")
    print(f"  and {made.recording} ({made.events} stream events)")
    if made.stream == "generated":
        print("  the scenario streams generated data at the captured rates (the recording stops short)")
    for line in made.notes:
        print(f"  {line}")
    print(f"replay it: {replay_command(made.scenario, 'reference')}")
    return 0


def _check(files: list[Path]) -> int:
    bad = 0
    for path in files:
        try:
            scenario = load(path)
        except ScenarioFileError as exc:
            print(f"{exc}", file=sys.stderr)
            bad += 1
            continue
        print(f"{path}: ok: {scenario.title} ({len(scenario.timeline.steps)} steps)")
    return 2 if bad else 0


def _replay(scenario: ScenarioFile, client: str, reports: Path) -> int:
    directory = reports / f"{time.strftime('%Y%m%d-%H%M%S')}-incident" / f"{scenario.name}-{client}"
    directory.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=directory / "incident.log", level=logging.INFO, force=True)
    command = replay_command(scenario.path, client)
    print(f"incident: {scenario.title}\n  {scenario.name} against {client}; runs in {directory}", flush=True)
    started = time.time()
    with ToxiproxyServer(log_path=directory / "toxiproxy.log") as toxiproxy:
        verdicts = asyncio.run(_run(scenario, client, toxiproxy.url, directory, command))
    about = RunAbout("Incident replay", scenario.seed, (client,), started, time.time(), command)
    write_index(directory.parent, about)  # the scenario's page links back to it
    for verdict in verdicts:
        print(f"  {verdict.status.upper():7} {verdict.name}: {verdict.detail}")
    failed = [v.name for v in verdicts if v.failed]
    print(f"  {'FAILED: ' + ', '.join(failed) if failed else 'passed'}")
    print(f"report: {directory / 'index.html'}\nreplay: {command}")
    return 1 if failed else 0


async def _run(scenario: ScenarioFile, client: str, url: str, directory: Path, command: str) -> list[Verdict]:
    async with chaos_run(scenario, directory, url, client=client, replay_command=command) as run:
        verdicts = await play(scenario, run)
        run.record(verdicts)
    return verdicts


if __name__ == "__main__":
    sys.exit(main())
