"""A recorded findings run (``docs/findings/run.json``): what each client's scenarios did, kept in
the repository so that ``docs/findings.md`` can be regenerated, checked and reviewed without
re-running anything.

It holds, per client and scenario, the cell (pass, unknown, reproduced, error), every verdict's
status and how long the scenario took, plus when and with which seed the run was made. Timings
and the date are the only parts that change from one run of the same code to the next.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.run import matrix

ROOT = Path(__file__).resolve().parents[2]
RUN_FILE = ROOT / "docs" / "findings" / "run.json"
TIMELINES = ROOT / "scenarios" / "findings" / "timelines"
SEED = 1  # every scenario of a findings run plays this seed: its timelines are committed beside
SOAK_DURATION = "2m"


@dataclass(slots=True)
class Recorded:
    date: str
    seed: int
    soak_duration: str
    took_s: dict[str, float] = field(default_factory=dict)  # per client, the whole run
    outcomes: list[matrix.Outcome] = field(default_factory=list)

    def save(self, path: Path = RUN_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = asdict(self)
        body["outcomes"] = [
            {k: v for k, v in asdict(o).items() if k not in ("report", "replay", "detail")}
            | {"detail": o.detail}
            for o in sorted(self.outcomes, key=lambda o: (o.client, o.scenario))
        ]
        path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path = RUN_FILE) -> Recorded:
        body = json.loads(path.read_text())
        outcomes = [matrix.Outcome(**row) for row in body.pop("outcomes")]
        return cls(**body, outcomes=outcomes)

    def outcome(self, client: str, scenario: str) -> matrix.Outcome | None:
        return next((o for o in self.outcomes if o.client == client and o.scenario == scenario), None)


def node_id(scenario: str, client: str) -> str:
    """The pytest id of ``scenario`` (``test_x`` or ``test_x[a-b]``) run against ``client``."""
    name, _, params = scenario.partition("[")
    module = _module_of(name)
    inside = f"{client}-{params[:-1]}" if params else client
    return f"{module}::{name}[{inside}]"


def timeline_file(scenario: str) -> Path:
    """Where the findings run's timeline of ``scenario`` is committed (no brackets: shells glob them)."""
    return TIMELINES / f"{scenario.replace('[', '-').rstrip(']')}.json"


def replay_command(scenario: str, client: str, seed: int = SEED) -> str:
    """The command that replays one findings cell from a fresh clone (after ``make setup``)."""
    node = node_id(scenario, client)
    if "test_soak.py" in node:
        rest = f"-m soak --soak-duration {SOAK_DURATION}"
    elif plays_a_timeline(scenario):
        timeline = timeline_file(scenario).relative_to(ROOT)
        rest = f"-m chaos --chaos-replay {shlex.quote(str(timeline))}"
    else:  # no fault timeline: the seed is all there is to replay
        rest = "-m chaos"
    return f".venv/bin/pytest {shlex.quote(node)} --client {client} --chaos-seed {seed} {rest}"


def plays_a_timeline(scenario: str) -> bool:
    """Whether the findings run committed a fault timeline for ``scenario`` (a few scenarios only
    drive the client, with no fault: the seed is all there is to replay)."""
    return timeline_file(scenario).is_file()


def _module_of(name: str) -> str:
    for path in sorted((ROOT / "scenarios").glob("test_*.py")):
        if f"def {name}(" in path.read_text():
            return str(path.relative_to(ROOT))
    raise KeyError(f"no scenario named {name} under scenarios/")
