"""An incident taken from the simulator as production would give one: the client under test runs
through the capture proxy (``python -m harness.capture``, a real process, in front of the whole
Gateway) while faults happen out of band (the simulator's control API: the client's path is not
touched, as in production), then the capture is closed and the file is the incident.

    python -m harness.incident example incident.jsonl --client reference

This is how the docs' walkthrough gets an incident without a production Gateway, and how the
end-to-end test proves capture -> build -> replay reproduces what the client showed live.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from ..chaos import ChaosRun
from ..chaos.session import Bounds, end_session, judge, open_session
from ..errors import HarnessError
from ..faults import fault_named
from ..infra.processes import ManagedProcess
from ..run.timeline import Step, Timeline
from ..run.verdicts import Verdict

# The example's incident: the market hub closed for a server timeout (reconnect allowed), then the
# user hub's connection reset under the client.
TIMEOUT = "Server timeout elapsed without receiving a message from the client."
FAULTS = (
    Step(2.0, "server_close", "market", params={"error": TIMEOUT, "allow_reconnect": True}),
    Step(4.5, "server_abort", "user", params={"reset": True}),
)


class CaptureProcess(ManagedProcess):
    """``python -m harness.capture`` in front of ``upstream``, writing ``out``; ``url`` once started."""

    def __init__(
        self, upstream: str, out: Path, *, log_path: Path | None = None, silence_s: float = 2.0
    ) -> None:
        argv = [sys.executable, "-m", "harness.capture", "--upstream", upstream, "--out", str(out)]
        argv += ["--listen", "127.0.0.1:0", "--silence", f"{silence_s:g}s"]
        super().__init__(
            argv, ready_pattern=r"^capture listening on (http://\S+) ->", name="capture", log_path=log_path
        )

    @property
    def url(self) -> str:
        if self.ready_match is None:
            raise HarnessError("the capture has not been started")
        return self.ready_match.group(1)


async def capture_session(
    run: ChaosRun,
    out: Path,
    steps: tuple[Step, ...] = FAULTS,
    *,
    contracts: int = 1,
    length_s: float = 8.0,
    client_config: dict[str, Any] | None = None,
) -> list[Verdict]:
    """Run the standard session through a capture into ``out`` while ``steps`` (server faults only)
    happen; the session's verdicts, as the client showed them live."""
    network = [s.fault for s in steps if fault_named(s.fault, s.params).layer == "network"]
    if network:
        raise HarnessError(
            f"{', '.join(network)}: out of band means server faults (the client's path is the capture)"
        )
    capture = CaptureProcess(run.simulator.url, out, log_path=run.directory / "capture.log")
    await asyncio.to_thread(capture.start)
    try:
        run.route_through(capture.url)
        client, streams = await open_session(run, contracts, client_config=client_config)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await run.play(Timeline(run.seed, list(steps)))
        await asyncio.sleep(max(0.0, length_s - (loop.time() - started)))
        return judge(await end_session(run, client, streams, Bounds()))
    finally:
        code = await asyncio.to_thread(capture.stop)  # SIGTERM: the capture writes its end and exits 0
        if code not in (0, None):
            raise HarnessError(f"the capture exited with {code}: see {capture.log_path}")
