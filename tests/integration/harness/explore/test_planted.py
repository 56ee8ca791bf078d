"""The explorer finds real bugs: three bugs of different kinds planted in a test-only build of the
reference client (``planted_client.py``) are each found within a bounded budget, shrunk to at most
two fault steps, replayed reliably, and the saved timeline fails the same invariant when its
printed command replays it with ``--chaos-replay``.

``make test`` runs one of them (``forget-subscriptions``: under five minutes with the clean
explore run); ``pytest tests/integration/harness/explore -m explore_proof`` runs all three
(docs/explore.md has the figures).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections import abc
from pathlib import Path

import pytest

from harness.explore import Explorer, Settings, load
from harness.explore.vocabulary import NAMES
from harness.infra.toxiproxy import ToxiproxyServer

ROOT = Path(__file__).resolve().parents[4]
PLANTED = Path(__file__).with_name("planted_client.py")

# plant -> (the search's seed, its budget, its shrink budget, the vocabulary it draws from)
PLANTS = {
    "forget-subscriptions": (1, 60.0, 60.0, NAMES),
    "stale-token": (2, 120.0, 240.0, NAMES),
    "throwing-callback": (3, 90.0, 60.0, NAMES),
}
# The invariants each bug shows as (its first failed one): a search that finds anything else did
# not find the planted bug.
SYMPTOMS = {
    "forget-subscriptions": {"recovered", "no_silent_stall", "server_set_equals_intended"},
    "stale-token": {"connected_at_end", "recovered"},
    "throwing-callback": {"no_silent_stall", "no_silent_loss", "recovered"},
}


def planted(name: str) -> str:
    return f"cmd:{sys.executable} {PLANTED} --plant {name}"


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory: pytest.TempPathFactory) -> abc.Iterator[ToxiproxyServer]:
    with ToxiproxyServer(log_path=tmp_path_factory.mktemp("toxiproxy") / "toxiproxy.log") as server:
        yield server


def find_and_replay(name: str, toxiproxy: ToxiproxyServer, directory: Path) -> None:
    seed, budget, shrink, faults = PLANTS[name]
    config = Settings(
        planted(name), budget_s=budget, seed=seed, faults=faults, shrink_budget_s=shrink, max_found=1
    )
    lines: list[str] = []
    summary = Explorer(config, toxiproxy, directory, progress=lines.append).run()
    log = "\n".join([*lines, *summary.lines()])
    print(f"{name}:\n{log}")  # the figures docs/explore.md quotes (pytest -s shows them)
    assert summary.found, f"{name} not found within {budget:g} s\n{log}"
    found = summary.found[0]
    assert found.invariant in SYMPTOMS[name], log
    assert found.reliable, log
    assert len(found.example.steps) <= 2, log
    assert found.timeline is not None
    example, fails, baseline = load(found.timeline)
    assert (example, fails) == (found.example, found.invariant)
    assert fails not in baseline
    # The printed command, as a person pastes it: the saved timeline fails the same invariant again.
    argv = shlex.split(found.command)
    argv[0] = sys.executable  # the venv's interpreter, whatever the command names
    replayed = subprocess.run(
        [*argv, "-p", "no:cacheprovider", "--chaos-reports", str(directory / "replay-run")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert replayed.returncode == 1, replayed.stdout[-3000:]
    assert f"fails {found.invariant}" in replayed.stdout, replayed.stdout[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_explorer_finds_shrinks_and_replays_a_planted_bug(
    toxiproxy: ToxiproxyServer, tmp_path: Path
) -> None:
    find_and_replay("forget-subscriptions", toxiproxy, tmp_path)


@pytest.mark.explore_proof
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", sorted(PLANTS))
def test_every_planted_bug_is_found_and_shrunk(name: str, toxiproxy: ToxiproxyServer, tmp_path: Path) -> None:
    find_and_replay(name, toxiproxy, tmp_path)
