"""The findings matrix of one chaos run: scenarios x clients, one cell per scenario run.

The chaos suite's conftest records one ``Outcome`` per scenario and client; ``write`` puts them in
the run's report directory as ``matrix.json`` and ``matrix.md``. ``python -m harness.run.matrix
RUN_DIR...`` prints the matrix of one or more runs (a later run's cell wins).

Cells are a scenario run judged by its client's claims (``harness/run/findings.py``): ``pass`` (every
verdict held), ``unknown`` (none failed, but the client could not say for some), the reproduced
finding ids (the scenario failed exactly as claimed: a strict expected failure), ``error`` (any
other failure, or a claim that did not show: the suite fails on those). Each outcome keeps every
verdict's status, which ``docs/findings.md`` is generated from (``python -m scenarios.findings``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

CELLS = ("pass", "unknown", "reproduced", "error")


@dataclass(frozen=True, slots=True)
class Outcome:
    client: str
    scenario: str
    outcome: str  # one of CELLS
    finding: str = ""  # the ids reproduced, e.g. "R2, R11"
    report: str = ""  # the scenario's report directory, relative to the run directory
    replay: str = ""
    detail: str = ""  # why, for an error; which verdicts, for unknown
    verdicts: dict[str, str] = field(default_factory=dict)  # verdict name -> pass, fail, unknown
    took_s: float = 0.0


def classify(pytest_outcome: str, judged: str | None) -> str:
    """A cell from the scenario's own judgement; an error when it never got that far (a set-up
    failure, a crash before the checks, a skip: never a result) or when pytest failed it anyway
    (an expected failure that passed: XPASS(strict))."""
    if judged is None or judged not in CELLS:
        return "error"
    if judged in ("pass", "unknown") and pytest_outcome != "passed":
        return "error"
    return judged


def write(run_dir: Path, outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    (run_dir / "matrix.json").write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    (run_dir / "matrix.md").write_text(markdown(outcomes))


def load(run_dir: Path) -> list[Outcome]:
    return [Outcome(**row) for row in json.loads((run_dir / "matrix.json").read_text())]


def cell(o: Outcome) -> str:
    if o.outcome == "reproduced":
        return o.finding
    if o.outcome == "error":
        return f"**error** ([report]({o.report}/index.html))" if o.report else "**error**"
    return o.outcome


def markdown(outcomes: list[Outcome]) -> str:
    """The matrix as Markdown, report links relative to the run directory."""
    clients = list(dict.fromkeys(o.client for o in outcomes))
    scenarios = list(dict.fromkeys(o.scenario for o in outcomes))
    cells = {(o.scenario, o.client): o for o in outcomes}
    lines = ["| scenario | " + " | ".join(clients) + " |", "|---|" + "---|" * len(clients)]
    for scenario in scenarios:
        row = [cell(o) if (o := cells.get((scenario, c))) else "" for c in clients]
        lines.append(f"| `{scenario}` | " + " | ".join(row) + " |")
    totals = []
    for client in clients:
        mine = [o for o in outcomes if o.client == client]
        totals.append(f"{client}: " + ", ".join(f"{sum(o.outcome == k for o in mine)} {k}" for k in CELLS))
    lines += ["", "Totals: " + "; ".join(totals) + ".", ""]
    reproduced = [o for o in outcomes if o.outcome == "reproduced"]
    if reproduced:
        lines += ["Replay any reproduced finding:", ""]
        lines += [f"- {o.finding} on {o.client}, `{o.scenario}`: `{o.replay}`" for o in reproduced]
        lines.append("")
    return "\n".join(lines)


def merged(run_dirs: list[Path]) -> list[Outcome]:
    """The outcomes of several runs; a later run's cell wins."""
    cells: dict[tuple[str, str], Outcome] = {}
    for run_dir in run_dirs:
        for o in load(run_dir):
            cells[(o.scenario, o.client)] = o
    return list(cells.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the findings matrix of one or more chaos runs.")
    parser.add_argument(
        "run_dirs", type=Path, nargs="*", default=[Path("reports/latest")],
        help="run report directories (default reports/latest); several are merged, later ones win",
    )  # fmt: skip
    args = parser.parse_args(argv)
    missing = [str(d) for d in args.run_dirs if not (d / "matrix.json").is_file()]
    if missing:
        print(f"no matrix.json in {', '.join(missing)} (run the chaos suite first)", file=sys.stderr)
        return 2
    print(markdown(merged(args.run_dirs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
