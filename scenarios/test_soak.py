"""Soak: the client under test for ``--soak-duration`` (default 60 s) at 1000 msg/s, memray in its
own process; the growth verdicts must pass, or fail exactly as the client's findings claim (R9,
R10, R16, T3). The reference client soaks with the catalogue's faults; third-party clients soak
without them, so that what their reconnects do (findings of their own) cannot stand in for what
their memory does. And the detector's positive control: the reference client leaking on purpose
(the review's unbounded callback list, one callback kept per 10 messages) must fail, naming the
leak's allocation site. Both run in CI, so the detector is proven able to pass and able to fail.

    pytest scenarios/test_soak.py -m soak --soak-duration 10m [--client project-x-py-3.3.0]
"""

from __future__ import annotations

from collections import abc
from pathlib import Path

import pytest

from harness.infra.toxiproxy import ToxiproxyServer
from harness.run.findings import Claim, Judgement, enforce, judge
from harness.soak import report as soak_report
from harness.soak.config import SoakConfig
from harness.soak.report import SoakResult
from harness.soak.runner import SoakRun

pytestmark = [pytest.mark.soak, pytest.mark.slow]


async def _soak(
    request: pytest.FixtureRequest, run_dir: Path, server: ToxiproxyServer, **changes: object
) -> SoakResult:
    duration: float = request.config.getoption("--soak-duration")
    config = SoakConfig(duration_s=duration, seed=request.config.getoption("--chaos-seed") or 1, **changes)  # type: ignore[arg-type]
    result = await SoakRun(
        config, run_dir / request.node.name, toxiproxy_url=server.url, progress=print
    ).run()
    soak_report.write(result)  # the scenario's page, beside the chaos scenarios' pages
    print(result.summary())
    return result


async def test_client_memory_stays_bounded(
    request: pytest.FixtureRequest,
    run_dir: Path,
    toxiproxy_server: ToxiproxyServer,
    client_name: str,
    claims: tuple[Claim, ...],
    record_judgement: abc.Callable[[Judgement, dict[str, str]], None],
) -> None:
    result = await _soak(
        request, run_dir, toxiproxy_server, client=client_name, faults=client_name == "reference"
    )
    judgement = judge(claims, result.verdicts)
    record_judgement(judgement, {v.name: v.status for v in result.verdicts})
    enforce(judgement, claims, result.verdicts, result.summary())


async def test_detector_catches_a_leaking_client(
    request: pytest.FixtureRequest, run_dir: Path, toxiproxy_server: ToxiproxyServer
) -> None:
    result = await _soak(request, run_dir, toxiproxy_server, leak="callbacks:10")
    verdicts = {v.name: v for v in result.verdicts}
    assert verdicts["heap_growth_bounded"].failed, result.summary()
    assert verdicts["callbacks_bounded"].failed, result.summary()
    assert "client/callbacks.py" in verdicts["heap_growth_bounded"].detail  # where memory went
    assert verdicts["stream_flowing"].ok, result.summary()  # it failed for the leak, not for no load
