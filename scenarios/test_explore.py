"""Explore (``-m explore``): generated fault timelines against the client under test, a failure
shrunk to the smallest example failing the same invariant and replayed (``harness/explore``).

    pytest scenarios -m explore --client reference --explore-budget 2m [--explore-seed N]
    pytest scenarios -m explore --client NAME --chaos-replay reports/.../found/timeline.json

A search that finds a failure that replays reliably fails, naming the timeline and its replay
command; one that finds nothing passes; a flaky failure is reported as flaky (a warning), not as a
bug. With ``--chaos-replay`` the saved example is played once and judged: it fails when the client
fails an invariant it did not already fail with no fault at all.
"""

from __future__ import annotations

import contextlib
import random
import warnings
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.explore import NAMES, Explorer, Settings, load, replay
from harness.explore.result import shown, slug
from harness.infra.toxiproxy import ToxiproxyServer

pytestmark = pytest.mark.explore


def test_explore(
    request: pytest.FixtureRequest, client_name: str, toxiproxy_server: ToxiproxyServer, run_dir: Path
) -> None:
    option = request.config.getoption
    plugins = request.config.pluginmanager
    say, capture = plugins.getplugin("terminalreporter"), plugins.getplugin("capturemanager")

    def progress(line: str) -> None:  # shown as it happens, whatever pytest captures
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            (say.write_line if say is not None else print)(line)

    directory = run_dir / f"explore-{slug(client_name)}"
    saved: Path | None = option("--chaos-replay")
    if saved is not None:
        _, fails, baseline = load(saved)
        result = replay(
            saved,
            client_name,
            toxiproxy_server.url,
            directory / "replay",
            option("--explore-example-timeout"),
        )
        if result.harness_error is not None:  # no verdict on the client either way
            raise HarnessError(f"the replay could not be judged: {result.harness_error}")
        failed = result.failed(baseline)
        progress(f"explore replay of {saved}: " + (", ".join(v.name for v in failed) or "nothing failed"))
        assert not failed, (
            f"{client_name} fails {', '.join(f'{v.name} ({v.detail})' for v in failed)}"
            + (f"; found failing {fails}" if fails else "")
            + f"\nreport: {result.directory / 'index.html'}"
        )
        return
    seed = option("--explore-seed")
    config = Settings(
        client_name,
        budget_s=option("--explore-budget"),
        seed=seed if seed is not None else random.SystemRandom().randrange(1, 2**31),
        faults=option("--explore-faults") or NAMES,
        shrink_budget_s=option("--explore-shrink-budget"),
        example_timeout_s=option("--explore-example-timeout"),
    )
    progress(
        f"\nexplore: {client_name}, seed {config.seed}, budget {config.budget_s:g} s, runs in {directory}"
    )
    reports: Path = option("--chaos-reports")
    explorer = Explorer(
        config,
        toxiproxy_server,
        directory,
        progress=progress,
        database=reports / "explore-db" / slug(client_name),
        shown=shown,
    )
    summary = explorer.run()
    for line in summary.lines():
        progress(line)
    if summary.reliable:
        pytest.fail("\n".join(summary.lines()), pytrace=False)
    for found in summary.found:  # only flaky ones are left
        warnings.warn(
            f"explore found a flaky failure, not counted: {found.invariant} ({found.verdict})", stacklevel=1
        )
