"""Soak: the reference client for ``--soak-duration`` (default 60 s) at 1000 msg/s with faults,
memray in its own process; the growth verdict must pass. And the detector's positive control: the
same run with the client leaking on purpose (the review's unbounded callback list, one callback
kept per 10 messages) must fail, naming the leak's allocation site. Both run in CI, so the
detector is proven able to pass and able to fail.

    pytest scenarios/test_soak.py -m soak --soak-duration 10m
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.soak.config import SoakConfig
from harness.soak.report import SoakResult
from harness.soak.runner import SoakRun
from harness.toxiproxy import ToxiproxyServer

pytestmark = [pytest.mark.soak, pytest.mark.slow]


async def _soak(
    request: pytest.FixtureRequest, run_dir: Path, server: ToxiproxyServer, **changes: object
) -> SoakResult:
    duration: float = request.config.getoption("--soak-duration")
    config = SoakConfig(duration_s=duration, seed=request.config.getoption("--chaos-seed") or 1, **changes)  # type: ignore[arg-type]
    result = await SoakRun(
        config, run_dir / request.node.name, toxiproxy_url=server.url, progress=print
    ).run()
    print(result.summary())
    return result


async def test_reference_client_memory_stays_bounded(
    request: pytest.FixtureRequest, run_dir: Path, toxiproxy_server: ToxiproxyServer
) -> None:
    result = await _soak(request, run_dir, toxiproxy_server)
    assert result.ok, result.summary()


async def test_detector_catches_a_leaking_client(
    request: pytest.FixtureRequest, run_dir: Path, toxiproxy_server: ToxiproxyServer
) -> None:
    result = await _soak(request, run_dir, toxiproxy_server, leak="callbacks:10")
    verdicts = {v.name: v for v in result.verdicts}
    assert not verdicts["heap_growth_bounded"].ok, result.summary()
    assert not verdicts["callbacks_bounded"].ok, result.summary()
    assert "client/callbacks.py" in verdicts["heap_growth_bounded"].detail  # where memory went
    assert verdicts["stream_flowing"].ok, result.summary()  # it failed for the leak, not for no load
