"""An incident, end to end, through the real processes: a client with a bug (the planted client's
``forget-subscriptions``: it reconnects but never resubscribes) runs through the capture proxy
(``python -m harness.capture``) while the server closes and drops its hubs out of band; the capture
is built into a scenario file; replayed, the same client fails the same invariant again and the
reference client passes. The capture holds no secret.
"""

from __future__ import annotations

import asyncio
import sys
from collections import abc
from pathlib import Path

import pytest

from harness.chaos import ChaosRun
from harness.incident.build import build
from harness.incident.example import capture_session
from harness.incident.runner import chaos_run, play
from harness.incident.scenario import load
from harness.infra.gateway import API_KEY
from harness.infra.toxiproxy import ToxiproxyServer
from harness.run.verdicts import Verdict

PLANTED = Path(__file__).parents[1] / "explore" / "planted_client.py"
FORGETFUL = f"cmd:{sys.executable} {PLANTED} --plant forget-subscriptions"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory: pytest.TempPathFactory) -> abc.Iterator[ToxiproxyServer]:
    with ToxiproxyServer(log_path=tmp_path_factory.mktemp("toxiproxy") / "toxiproxy.log") as server:
        yield server


async def live(client: str, url: str, directory: Path, out: Path) -> list[Verdict]:
    async with ChaosRun("live", 1, directory, url, client=client) as run:
        verdicts = await capture_session(run, out)
        run.record(verdicts)
    return verdicts


async def replayed(scenario: Path, client: str, url: str, directory: Path) -> list[Verdict]:
    async with chaos_run(load(scenario), directory, url, client=client, replay_command="") as run:
        verdicts = await play(load(scenario), run)
        run.record(verdicts)
    return verdicts


def failed(verdicts: list[Verdict]) -> list[str]:
    return [v.name for v in verdicts if v.failed]


def test_a_captured_incident_replays_the_same_failure_and_the_fixed_client_passes(
    toxiproxy: ToxiproxyServer, tmp_path: Path
) -> None:
    capture = tmp_path / "incident.jsonl"
    seen = failed(asyncio.run(live(FORGETFUL, toxiproxy.url, tmp_path / "live", capture)))
    assert seen, "the client under test did not fail live: nothing to reproduce"

    text = capture.read_text()
    assert "eyJ" not in text  # no JWT, whole or in part
    assert API_KEY not in text
    assert '"fp":"sha256:' in text  # fingerprints in their place

    made = build(capture, tmp_path / "incident.toml")
    scenario = load(made.scenario)
    assert [(s.fault, s.hub) for s in scenario.timeline.steps] == [
        ("server_close", "market"),
        ("server_abort", "user"),
    ]
    assert made.events > 0

    again = failed(asyncio.run(replayed(made.scenario, FORGETFUL, toxiproxy.url, tmp_path / "again")))
    assert again[:1] == seen[:1], (seen, again)  # the same invariant, first
    fixed = asyncio.run(replayed(made.scenario, "reference", toxiproxy.url, tmp_path / "fixed"))
    assert failed(fixed) == [], [(v.name, v.detail) for v in fixed if v.failed]
