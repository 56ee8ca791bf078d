"""The chaos catalogue's fixtures: one Toxiproxy per session, one simulator and one client per
scenario, one report directory per run (``reports/<run-id>/``, ``reports/latest``).

Options: ``--chaos-seed N`` (every scenario's seed; default: a fresh one per run, printed),
``--chaos-replay PATH`` (a saved ``timeline.json`` to play instead of the seed's own),
``--chaos-client NAME`` (the client under test; ``reference`` for now).
"""

from __future__ import annotations

import os
import random
import time
import zlib
from collections import abc
from pathlib import Path

import pytest

from harness.chaos import ChaosRun, replay_command
from harness.report import write_index
from harness.toxiproxy import ToxiproxyServer

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ("reference",)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "Faultline chaos catalogue")
    group.addoption(
        "--chaos-seed", type=int, default=None, help="seed of every scenario (default: new per run)"
    )
    group.addoption("--chaos-replay", type=Path, default=None, help="play this saved timeline.json")
    group.addoption("--chaos-client", default="reference", choices=CLIENTS, help="the client under test")
    group.addoption("--chaos-reports", type=Path, default=ROOT / "reports", help="where run reports go")


@pytest.fixture(scope="session")
def base_seed(request: pytest.FixtureRequest) -> int:
    seed: int | None = request.config.getoption("--chaos-seed")
    return seed if seed is not None else random.SystemRandom().randrange(1, 2**31)


@pytest.fixture(scope="session")
def run_dir(request: pytest.FixtureRequest, base_seed: int) -> abc.Iterator[Path]:
    reports: Path = request.config.getoption("--chaos-reports")
    directory = reports / f"{time.strftime('%Y%m%d-%H%M%S')}-{base_seed}"
    directory.mkdir(parents=True, exist_ok=True)
    latest = reports / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(directory.name)
    request.config.stash[RUN_DIR] = directory
    yield directory
    write_index(directory)


@pytest.fixture(scope="session")
def toxiproxy_server(run_dir: Path) -> abc.Iterator[ToxiproxyServer]:
    with ToxiproxyServer(log_path=run_dir / "toxiproxy.log") as server:
        yield server


@pytest.fixture
async def chaos(
    request: pytest.FixtureRequest, base_seed: int, run_dir: Path, toxiproxy_server: ToxiproxyServer
) -> abc.AsyncIterator[ChaosRun]:
    explicit = request.config.getoption("--chaos-seed")
    seed = explicit if explicit is not None else zlib.crc32(f"{base_seed}:{request.node.nodeid}".encode())
    directory = run_dir / request.node.name
    replay: Path | None = request.config.getoption("--chaos-replay")
    command = replay_command(request.node.nodeid, seed, directory / "timeline.json")
    async with ChaosRun(
        request.node.name, seed, directory, toxiproxy_server.url, replay=replay, replay_command=command
    ) as run:
        yield run


RUN_DIR = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    directory = config.stash.get(RUN_DIR, None)
    if directory is not None:
        terminalreporter.write_line(f"chaos report: {directory / 'index.html'} (reports/latest)")


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.getoption("--chaos-seed")
    return f"chaos: client={config.getoption('--chaos-client')} seed={seed if seed is not None else 'fresh'} pid={os.getpid()}"
