"""The chaos catalogue's fixtures: one Toxiproxy per session, one simulator and one client per
scenario, one report directory per run (``reports/<run-id>/``, ``reports/latest``).

Options: ``--chaos-seed N`` (every scenario's seed; default: a fresh one per run, printed),
``--chaos-replay PATH`` (a saved ``timeline.json`` to play instead of the seed's own),
``--client NAME[,NAME...]`` or ``--client all`` (the clients under test: every scenario runs once
per client, its id ending in ``[...-NAME]``). Where a client's findings (``scenarios/findings/``)
claim a scenario reproduces something, the scenario is a strict expected failure tied to the
finding ids: exactly the claimed verdicts must fail (``harness/run/findings.py``), and the suite fails
if they do not. A scenario that fails nothing but has unknown verdicts (the client cannot say) is
reported as ``unknown`` (letter ``U``), never as a pass or a failure. Each run writes the findings
matrix (``matrix.md``, ``matrix.json``) into its report directory.
"""

from __future__ import annotations

import inspect
import os
import random
import shlex
import sys
import time
import warnings
import zlib
from argparse import ArgumentTypeError
from collections import abc
from pathlib import Path
from typing import Any

import pytest

from harness.chaos import ChaosRun, directory_name, replay_command
from harness.clients.registry import KINDS, SOAKABLE, client_kind
from harness.errors import HarnessError
from harness.explore import NAMES, narrow
from harness.incident.runner import chaos_run as incident_run
from harness.incident.runner import replay_command as incident_replay_command
from harness.incident.scenario import ScenarioFile, ScenarioFileError
from harness.incident.scenario import load as load_scenario
from harness.infra.toxiproxy import ToxiproxyServer
from harness.run import matrix
from harness.run.durations import duration
from harness.run.findings import Claim, FindingReproduced, Judgement
from harness.run.report import RunAbout, write_index

from .findings import claims_for

ROOT = Path(__file__).resolve().parents[1]


def _clients(value: str) -> list[str]:
    names = list(KINDS) if value == "all" else [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise pytest.UsageError(f"--client {value!r}: name a client, a comma-separated list, or all")
    for name in names:
        try:
            client_kind(name)
        except HarnessError as exc:
            raise pytest.UsageError(f"--client: {exc}; or a comma-separated list, or all") from None
    return names


def _duration(text: str) -> float:
    try:
        return duration(text)
    except ArgumentTypeError as exc:
        raise pytest.UsageError(f"--soak-duration: {exc}") from None


def _faults(text: str) -> tuple[str, ...]:
    try:
        return narrow(text.split(","))
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "Faultline chaos catalogue")
    group.addoption(
        "--chaos-seed", type=int, default=None, help="seed of every scenario (default: new per run)"
    )
    group.addoption("--chaos-replay", type=Path, default=None, help="play this saved timeline.json")
    group.addoption(
        "--client",
        default="reference",
        help=f"client(s) under test: {', '.join(KINDS)}, cmd:COMMAND (a driver of the "
        "whole-client protocol), a comma-separated list, or all",
    )
    group.addoption("--chaos-reports", type=Path, default=ROOT / "reports", help="where run reports go")
    group.addoption(
        "--explore-budget",
        type=_duration,
        default=60.0,
        help="explore: search time, 90s or 10m (default 60s)",
    )
    group.addoption(
        "--explore-seed", type=int, default=None, help="explore: the search's seed (default: new)"
    )
    group.addoption(
        "--explore-faults",
        type=_faults,
        default=None,
        help=f"explore: comma-separated names to draw from: {', '.join(NAMES)} (default all)",
    )
    group.addoption(
        "--explore-shrink-budget", type=_duration, default=180.0, help="explore: time to shrink (default 3m)"
    )
    group.addoption(
        "--explore-example-timeout",
        type=_duration,
        default=90.0,
        help="explore: one run's bound (default 90s)",
    )
    group.addoption(
        "--scenario-file",
        type=Path,
        action="append",
        default=None,
        metavar="PATH",
        help="incidents: run this scenario file (repeatable) instead of scenarios/incidents/*.toml",
    )
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
    started = time.time()
    yield directory
    matrix.write(directory, request.config.stash.get(OUTCOMES, []))
    about = RunAbout(
        "Chaos run",
        base_seed,
        tuple(_clients(request.config.getoption("--client"))),
        started,
        time.time(),
        shlex.join(
            [_python(), "-m", "pytest", *sys.argv[1:]]
        ),  # as asked; each scenario's replay is on its page
    )
    write_index(directory, about)


def _python() -> str:
    """The python a line shown to run again names: the project's, from the repository root."""
    return ".venv/bin/python" if (ROOT / ".venv/bin/python").exists() else Path(sys.executable).name


@pytest.fixture(scope="session")
def toxiproxy_process(run_dir: Path) -> abc.Iterator[ToxiproxyServer]:
    with ToxiproxyServer(log_path=run_dir / "toxiproxy.log") as server:
        yield server


@pytest.fixture
def toxiproxy_server(toxiproxy_process: ToxiproxyServer) -> ToxiproxyServer:
    """The session's Toxiproxy, restarted first if a scenario before this one left it hung (it can
    hang for good removing a toxic): one hang costs one scenario, not every one after it."""
    if toxiproxy_process.revive():
        warnings.warn(
            f"Toxiproxy did not answer after the previous scenario: restarted ({toxiproxy_process.url})",
            stacklevel=1,
        )
    return toxiproxy_process


def pytest_configure(config: pytest.Config) -> None:
    _clients(config.getoption("--client"))  # a wrong --client is a usage error, before collection


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "client_name" in metafunc.fixturenames:
        names = _clients(metafunc.config.getoption("--client"))
        metafunc.parametrize("client_name", names, ids=names)  # the name, however long (a cmd: line)
    if "scenario_file" in metafunc.fixturenames:
        files = _scenario_files(metafunc.config.getoption("--scenario-file"))
        metafunc.parametrize("scenario_file", files, ids=[f.name for f in files])


def _scenario_files(given: list[Path] | None) -> list[ScenarioFile]:
    """The files named with --scenario-file, else every file of scenarios/incidents, each checked
    whole: a bad one stops the run, naming its line and why."""
    paths = given or sorted((ROOT / "scenarios" / "incidents").glob("*.toml"))
    try:
        return [load_scenario(path) for path in paths]
    except ScenarioFileError as exc:
        raise pytest.UsageError(f"--scenario-file: {exc}" if given else str(exc)) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    soak_s: float = config.getoption("--soak-duration")
    # A soak runs a whole client in its own process with memray: clients it cannot drive that way
    # (bare libraries, your own driver) are not asked to.
    unsoakable = [
        i for i in items if i.get_closest_marker("soak") is not None and _client(i) not in (None, *SOAKABLE)
    ]
    if unsoakable:
        config.hook.pytest_deselected(items=unsoakable)
        items[:] = [i for i in items if i not in unsoakable]
    for item in items:
        if item.get_closest_marker("soak") is not None:  # the run's length plus set-up and verdict
            item.add_marker(pytest.mark.timeout(soak_s + 300))
        if item.get_closest_marker("explore") is not None:  # search, shrink, replays, and slack
            budgets = config.getoption("--explore-budget") + config.getoption("--explore-shrink-budget")
            item.add_marker(
                pytest.mark.timeout(budgets + 5 * config.getoption("--explore-example-timeout") + 60)
            )
        scenario: ScenarioFile | None = _param(item, "scenario_file")
        if scenario is not None:  # as long as the file says, plus start, settle and close
            item.add_marker(pytest.mark.timeout(120 + scenario.length_s + scenario.timeline.end_s))
        claims = [c for c in _claims(item) if c.must_fail]
        if claims:
            reason = "; ".join(f"{c.id}: {c.mechanism}" for c in claims)
            item.add_marker(pytest.mark.xfail(strict=True, raises=FindingReproduced, reason=reason))


def _client(item: pytest.Item) -> str | None:
    client: str | None = _param(item, "client_name")
    return client


def _param(item: pytest.Item, name: str) -> Any:
    callspec = getattr(item, "callspec", None)
    return None if callspec is None else callspec.params.get(name)


def _claims(item: pytest.Item) -> tuple[Claim, ...]:
    client = _client(item)
    if client is None:
        return ()
    name = getattr(item, "originalname", item.name)
    return claims_for(client, name, _params(item.callspec.params))  # type: ignore[attr-defined]


@pytest.fixture
def claims(request: pytest.FixtureRequest) -> tuple[Claim, ...]:
    """What the client's findings claim for this scenario (for scenarios that judge themselves)."""
    return _claims(request.node)


@pytest.fixture
def record_judgement(request: pytest.FixtureRequest) -> abc.Callable[[Judgement, dict[str, str]], None]:
    """For scenarios that judge themselves (soaks): the matrix reads the judgement and verdicts."""

    def record(judgement: Judgement, statuses: dict[str, str]) -> None:
        request.node.stash[JUDGED] = lambda: judgement
        request.node.stash[VERDICTS] = lambda: statuses

    return record


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
    directory = run_dir / directory_name(request.node.name)
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
        claims=_claims(request.node),
        about=inspect.getdoc(request.function) or "",
    ) as run:
        _judged_by(request.node, run)
        yield run


@pytest.fixture
async def incident(
    request: pytest.FixtureRequest,
    scenario_file: ScenarioFile,
    run_dir: Path,
    toxiproxy_server: ToxiproxyServer,
    client_name: str,
) -> abc.AsyncIterator[ChaosRun]:
    """A scenario file's run (``scenarios/test_incidents.py``): its own seed, stream and timeline."""
    directory = run_dir / directory_name(request.node.name)
    command = incident_replay_command(scenario_file.path, client_name)
    request.node.stash[SCENARIO] = (directory, command)
    async with incident_run(
        scenario_file,
        directory,
        toxiproxy_server.url,
        client=client_name,
        replay_command=command,
        claims=_claims(request.node),
    ) as run:
        _judged_by(request.node, run)
        yield run


def _judged_by(item: pytest.Item, run: ChaosRun) -> None:
    """The matrix and pytest's summary read the run's judgement and verdicts from the item."""
    item.stash[JUDGED] = lambda: run.judgement
    item.stash[VERDICTS] = lambda: run.verdict_statuses


SCENARIO = pytest.StashKey[tuple[Path, str]]()
OUTCOMES = pytest.StashKey[list[matrix.Outcome]]()
# How the scenario judged itself (None until it ran its checks); soak scenarios set it too.
JUDGED = pytest.StashKey[abc.Callable[[], Judgement | None]]()
VERDICTS = pytest.StashKey[abc.Callable[[], dict[str, str]]]()


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
        judged = item.stash.get(JUDGED, lambda: None)()
        outcome = matrix.classify(report.outcome, judged.status if judged else None)
        if outcome == "unknown":  # shown as itself in pytest's summary, not as a pass
            report.faultline_unknown = ", ".join(judged.unknown) if judged else ""  # type: ignore[attr-defined]
        report.user_properties.append(("faultline_cell", outcome))  # JUnit XML keeps it too
        claims = _claims(item)
        detail = ""
        if outcome == "error":
            detail = "; ".join(judged.problems) if judged and judged.problems else _last_line(report)
        elif outcome == "unknown" and judged:
            detail = "unknown: " + ", ".join(judged.unknown)
        item.config.stash.setdefault(OUTCOMES, []).append(
            matrix.Outcome(
                client=callspec.params["client_name"],
                scenario=item.name.split("[")[0] + _params(callspec.params),
                outcome=outcome,
                finding=", ".join(dict.fromkeys(c.id for c in claims if c.must_fail)),
                report=str(directory.relative_to(item.config.stash[RUN_DIR])) if directory else "",
                replay=command,
                detail=detail[:300],
                verdicts=item.stash.get(VERDICTS, dict)(),
                took_s=round(report.duration, 1),
            )
        )
    return report


def pytest_report_teststatus(
    report: pytest.TestReport,
) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    if report.when == "call" and report.passed and hasattr(report, "faultline_unknown"):
        return "unknown", "U", ("UNKNOWN", {"yellow": True})
    return None


def _last_line(report: pytest.TestReport) -> str:
    return str(report.longrepr).splitlines()[-1] if report.failed and report.longrepr else report.outcome


def _params(params: dict[str, object]) -> str:
    rest = [str(getattr(v, "name", v)) for k, v in params.items() if k != "client_name"]  # a file: its name
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
