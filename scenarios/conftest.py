"""The chaos catalogue's fixtures: one Toxiproxy per session, one simulator and one client per
scenario, one report directory per run (``reports/<run-id>/``, ``reports/latest``).

Options: ``--chaos-seed N`` (every scenario's seed; default: a fresh one per run, printed),
``--chaos-replay PATH`` (a saved ``timeline.json`` to play instead of the seed's own),
``--client NAME[,NAME...]`` or ``--client all`` (the clients under test: every scenario runs once
per client, its id ending in ``[...-NAME]``). Where a client has a known finding for a scenario
(``scenarios/findings.py``) the scenario is a strict expected failure tied to the finding id: it
must fail exactly as the finding says, and the suite fails if it stops failing. Each run writes
the findings matrix (``matrix.md``, ``matrix.json``) into its report directory.
"""

from __future__ import annotations

import os
import random
import time
import zlib
from argparse import ArgumentTypeError
from collections import abc
from pathlib import Path

import pytest

from harness import matrix
from harness.chaos import ChaosRun, FindingReproduced, replay_command
from harness.client_envs import CLIENTS_UNDER_TEST
from harness.report import write_index
from harness.soak.cli import duration
from harness.toxiproxy import ToxiproxyServer

from .findings import FINDINGS

ROOT = Path(__file__).resolve().parents[1]


def _clients(value: str) -> list[str]:
    names = list(CLIENTS_UNDER_TEST) if value == "all" else [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in CLIENTS_UNDER_TEST and not n.startswith("cmd:")]
    if unknown or not names:
        raise pytest.UsageError(
            f"--client: unknown client {', '.join(unknown) or value!r}; "
            f"choose from {', '.join(CLIENTS_UNDER_TEST)}, cmd:COMMAND (your own driver), "
            "a comma-separated list, or all"
        )
    return names


def _duration(text: str) -> float:
    try:
        return duration(text)
    except ArgumentTypeError as exc:
        raise pytest.UsageError(f"--soak-duration: {exc}") from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "Faultline chaos catalogue")
    group.addoption(
        "--chaos-seed", type=int, default=None, help="seed of every scenario (default: new per run)"
    )
    group.addoption("--chaos-replay", type=Path, default=None, help="play this saved timeline.json")
    group.addoption(
        "--client",
        default="reference",
        help=f"client(s) under test: {', '.join(CLIENTS_UNDER_TEST)}, cmd:COMMAND (a driver of the "
        "whole-client protocol), a comma-separated list, or all",
    )
    group.addoption("--chaos-reports", type=Path, default=ROOT / "reports", help="where run reports go")
    group.addoption(
        "--soak-duration",
        type=_duration,
        default=60.0,
        help="length of each soak scenario (-m soak): 60s, 10m, 24h (default 60s)",
    )


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
    matrix.write(directory, request.config.stash.get(OUTCOMES, []))


@pytest.fixture(scope="session")
def toxiproxy_server(run_dir: Path) -> abc.Iterator[ToxiproxyServer]:
    with ToxiproxyServer(log_path=run_dir / "toxiproxy.log") as server:
        yield server


def pytest_configure(config: pytest.Config) -> None:
    _clients(config.getoption("--client"))  # a wrong --client is a usage error, before collection


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "chaos" in metafunc.fixturenames:
        metafunc.parametrize("client_name", _clients(metafunc.config.getoption("--client")))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    soak_s: float = config.getoption("--soak-duration")
    for item in items:
        if item.get_closest_marker("soak") is not None:  # the run's length plus set-up and verdict
            item.add_marker(pytest.mark.timeout(soak_s + 300))
        finding = _finding(item)
        if finding is not None:
            reason = f"{'/'.join(finding.ids)}: {finding.why}"
            item.add_marker(pytest.mark.xfail(strict=True, raises=FindingReproduced, reason=reason))


def _finding(item: pytest.Item) -> object:
    callspec = getattr(item, "callspec", None)
    if callspec is None or "client_name" not in callspec.params:
        return None
    known = FINDINGS.get(callspec.params["client_name"], {})
    name = getattr(item, "originalname", item.name)
    # a finding of one parametrisation only: "test_x[market-user]"; else the scenario's name
    return known.get(f"{name}{_params(callspec.params)}", known.get(name))


@pytest.fixture
async def chaos(
    request: pytest.FixtureRequest,
    base_seed: int,
    run_dir: Path,
    toxiproxy_server: ToxiproxyServer,
    client_name: str,
) -> abc.AsyncIterator[ChaosRun]:
    explicit = request.config.getoption("--chaos-seed")
    # The seed does not depend on the client: every client sees the same faults at the same times.
    scenario_id = request.node.nodeid.replace(f"-{client_name}]", "]").replace(f"[{client_name}]", "")
    seed = explicit if explicit is not None else zlib.crc32(f"{base_seed}:{scenario_id}".encode())
    directory = run_dir / request.node.name
    replay: Path | None = request.config.getoption("--chaos-replay")
    timeline = directory / "timeline.json"  # relative to the repository root, where replays run from
    shown = timeline.relative_to(ROOT) if timeline.is_relative_to(ROOT) else timeline
    command = replay_command(request.node.nodeid, seed, shown, client_name)
    request.node.stash[SCENARIO] = (directory, command)
    async with ChaosRun(
        request.node.name,
        seed,
        directory,
        toxiproxy_server.url,
        replay=replay,
        replay_command=command,
        client=client_name,
        finding=_finding(request.node),  # type: ignore[arg-type]
    ) as run:
        yield run


SCENARIO = pytest.StashKey[tuple[Path, str]]()
OUTCOMES = pytest.StashKey[list[matrix.Outcome]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> abc.Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    callspec = getattr(item, "callspec", None)
    if callspec is None or "client_name" not in callspec.params:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        directory, command = item.stash.get(SCENARIO, (None, ""))
        finding = _finding(item)
        outcome = matrix.classify(report.outcome, hasattr(report, "wasxfail"), finding is not None)
        item.config.stash.setdefault(OUTCOMES, []).append(
            matrix.Outcome(
                client=callspec.params["client_name"],
                scenario=item.name.split("[")[0] + _params(callspec.params),
                outcome=outcome,
                finding="/".join(finding.ids) if finding is not None else "",  # type: ignore[attr-defined]
                report=str(directory.relative_to(item.config.stash[RUN_DIR])) if directory else "",
                replay=command,
                detail=str(report.longrepr).splitlines()[-1][:200] if report.failed else "",
            )
        )
    return report


def _params(params: dict[str, object]) -> str:
    rest = [str(v) for k, v in params.items() if k != "client_name"]
    return f"[{'-'.join(rest)}]" if rest else ""


RUN_DIR = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    directory = config.stash.get(RUN_DIR, None)
    if directory is not None:
        terminalreporter.write_line(f"chaos report: {directory / 'index.html'} (reports/latest)")
        if (directory / "matrix.md").is_file():
            terminalreporter.write_line(f"findings matrix: {directory / 'matrix.md'}")


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.getoption("--chaos-seed")
    return f"chaos: client={config.getoption('--client')} seed={seed if seed is not None else 'fresh'} pid={os.getpid()}"
