"""The findings matrix: clients x scenarios, each cell pass, a reproduced finding, or an error.

The chaos suite's conftest records one ``Outcome`` per scenario and client; ``write`` puts them in
the run's report directory as ``matrix.json`` and ``matrix.md``. ``python -m harness.matrix RUN_DIR
--readme README.md`` copies a run's matrix into the README between its markers, links made
relative to the README; several run directories merge (one run per client, say).

Cells: ``pass`` (every verdict held), ``R13`` etc. (the scenario failed exactly as the client's
known finding says: a strict expected failure), ``error`` (any other failure, including a known
finding that no longer reproduces: the suite fails on those).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

START, END = "<!-- findings-matrix:start -->", "<!-- findings-matrix:end -->"


@dataclass(frozen=True, slots=True)
class Outcome:
    client: str
    scenario: str
    outcome: str  # pass, reproduced, error
    finding: str = ""
    report: str = ""  # the scenario's report directory, relative to the run directory
    replay: str = ""
    detail: str = ""


def classify(pytest_outcome: str, was_xfail: bool, has_finding: bool) -> str:
    if pytest_outcome == "passed" and not was_xfail:
        return "pass"
    if pytest_outcome == "skipped" and was_xfail and has_finding:
        return "reproduced"
    return "error"  # a failure, an XPASS(strict) (the finding stopped reproducing), a skip


def write(run_dir: Path, outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    (run_dir / "matrix.json").write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    (run_dir / "matrix.md").write_text(markdown(outcomes, link_base=""))


def load(run_dir: Path) -> list[Outcome]:
    return [Outcome(**row) for row in json.loads((run_dir / "matrix.json").read_text())]


def markdown(outcomes: list[Outcome], link_base: str) -> str:
    """The matrix as Markdown; report links are ``link_base`` + each scenario's directory."""
    clients = list(dict.fromkeys(o.client for o in outcomes))
    scenarios = list(dict.fromkeys(o.scenario for o in outcomes))
    cell = {(o.scenario, o.client): o for o in outcomes}
    lines = [
        "| scenario | " + " | ".join(clients) + " |",
        "|---|" + "---|" * len(clients),
    ]
    for scenario in scenarios:
        row = []
        for client in clients:
            o = cell.get((scenario, client))
            if o is None:
                row.append("")
            elif o.outcome == "reproduced":
                row.append(f"[{o.finding}]({link_base}{o.report}/index.html)")
            elif o.outcome == "error":
                row.append(
                    f"**error** ([report]({link_base}{o.report}/index.html))" if o.report else "**error**"
                )
            else:
                row.append("pass")
        lines.append(f"| `{scenario}` | " + " | ".join(row) + " |")
    totals = []
    for client in clients:
        mine = [o for o in outcomes if o.client == client]
        counts = {k: sum(o.outcome == k for o in mine) for k in ("pass", "reproduced", "error")}
        totals.append(
            f"{client}: {counts['pass']} pass, {counts['reproduced']} reproduced, {counts['error']} error"
        )
    lines += ["", "Totals: " + "; ".join(totals) + ".", ""]
    reproduced = [o for o in outcomes if o.outcome == "reproduced"]
    if reproduced:
        lines += ["Replay any reproduced finding:", ""]
        lines += [f"- {o.finding} on {o.client}, `{o.scenario}`: `{o.replay}`" for o in reproduced]
        lines.append("")
    return "\n".join(lines)


def merged(run_dirs: list[Path], relative_to: Path) -> list[Outcome]:
    """The outcomes of several runs (a later run's cell wins), report links relative to ``relative_to``."""
    cells: dict[tuple[str, str], Outcome] = {}
    for run_dir in run_dirs:
        base = os.path.relpath(run_dir.resolve(), relative_to.resolve())
        for o in load(run_dir):
            report = f"{base}/{o.report}" if o.report else ""
            cells[(o.scenario, o.client)] = Outcome(
                o.client, o.scenario, o.outcome, o.finding, report, o.replay, o.detail
            )
    return list(cells.values())


def update_readme(readme: Path, run_dirs: list[Path]) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: no {START} ... {END} markers to put the matrix between")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    body = markdown(merged(run_dirs, readme.parent), link_base="")
    readme.write_text(f"{head}{START}\n{body}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Show the findings matrix of one or more chaos runs, or copy it into the README."
    )
    parser.add_argument(
        "run_dirs", type=Path, nargs="*", default=[Path("reports/latest")],
        help="run report directories (default reports/latest); several are merged, later ones win",
    )  # fmt: skip
    parser.add_argument("--readme", type=Path, help="README to update between its findings-matrix markers")
    args = parser.parse_args(argv)
    missing = [str(d) for d in args.run_dirs if not (d / "matrix.json").is_file()]
    if missing:
        print(f"no matrix.json in {', '.join(missing)} (run the chaos suite first)", file=sys.stderr)
        return 2
    if args.readme:
        update_readme(args.readme, args.run_dirs)
    else:
        print(markdown(merged(args.run_dirs, Path.cwd()), link_base=""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
