"""One scenario file, run against one client: the simulator streaming the file's recording (its
clock started once the client has subscribed, so recorded times line up with the faults) or its
generated stream, a Toxiproxy proxy per hub, the standard session (``harness/chaos/session.py``),
the file's fault timeline, then the file's invariants with its bounds.

The run directory holds what every scenario run holds (history, verdicts, report, ``timeline.json``)
and a copy of the scenario file, so a report says exactly what was played.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
import sys
from collections import abc
from pathlib import Path

from ..chaos import ChaosRun
from ..chaos.session import end_session, judge, open_session
from ..infra.sim_control import SimulatorControl
from ..run.findings import Claim
from ..run.verdicts import Verdict
from .scenario import ScenarioFile

ROOT = Path(__file__).resolve().parents[2]


def chaos_run(
    scenario: ScenarioFile,
    directory: Path,
    toxiproxy_url: str,
    *,
    client: str,
    replay_command: str,
    claims: abc.Sequence[Claim] = (),
) -> ChaosRun:
    """The scenario's ``ChaosRun`` (enter it, then ``play`` it)."""
    return ChaosRun(
        scenario.name,
        scenario.seed,
        directory,
        toxiproxy_url,
        simulator_flags=scenario.simulator_flags(),
        client=client,
        replay_command=replay_command,
        claims=claims,
        title=scenario.title,
        about=scenario.summary,
    )


async def play(scenario: ScenarioFile, run: ChaosRun) -> list[Verdict]:
    """Subscribe, start the recording, play the timeline (and at least ``length_s``), settle,
    close; the verdicts of the file's invariants."""
    shutil.copyfile(scenario.path, run.directory / "scenario.toml")
    scenario.timeline.save(run.directory / "timeline.json")
    client, streams = await open_session(run, scenario.contracts, scenario.streams)
    loop = asyncio.get_running_loop()
    started = loop.time()
    if scenario.recording is not None:
        async with SimulatorControl(run.simulator.url) as control:
            await control.start_replay()
    await run.play(scenario.timeline)
    left = scenario.length_s - (loop.time() - started)
    if left > 0:
        await asyncio.sleep(left)
    ending = await end_session(run, client, streams, scenario.bounds)
    return judge(ending, scenario.invariants)


def replay_command(path: Path, client: str) -> str:
    """The line that runs ``path`` against ``client`` again, from the repository root (bash or zsh)."""
    shown = path.resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    python = ".venv/bin/python" if (ROOT / ".venv/bin/python").exists() else Path(sys.executable).name
    return shlex.join([python, "-m", "harness.incident", "replay", str(shown), "--client", client])
