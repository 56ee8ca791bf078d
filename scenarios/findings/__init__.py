"""What this project says about each client under test: per client, its claims (``harness/run/findings.py``),
each naming a review id, the mechanism with file:line in that client's pinned source, the scenario
that isolates it and the exact verdicts that show it.

A scenario with ``reproduced`` claims for a client is a strict expected failure for that client
(``scenarios/conftest.py``): exactly the union of those claims' verdicts must fail. ``refuted``,
``fixed`` and ``passes`` claims need their verdicts to pass. ``python -m scenarios.findings``
writes ``docs/findings.md`` from these tables and a recorded run.

Ids R1-R18 and T1-T9 are the review's (``review.py``); X-ids are failures the catalogue found that
the review does not list.
"""

from __future__ import annotations

from harness.run.findings import Claim

from .bare import PYSIGNALR, SIGNALRCORE_095, SIGNALRCORE_102
from .projectx_330 import PX_330
from .projectx_441 import PX_441
from .projectxsdk_0239 import PX_SDK_0239
from .topstep_014 import TOPSTEP_014

TABLES: dict[str, tuple[Claim, ...]] = {
    "project-x-py-3.3.0": PX_330,
    "project-x-py-4.4.1": PX_441,
    "projectx-sdk-0.2.39": PX_SDK_0239,
    "pysignalr-1.3.3": PYSIGNALR,
    "signalrcore-0.9.5": SIGNALRCORE_095,
    "signalrcore-1.0.2": SIGNALRCORE_102,
    "topstep-sdk-0.1.4": TOPSTEP_014,
}


def claims_for(client: str, scenario: str, params: str = "") -> tuple[Claim, ...]:
    """The claims about ``client`` in ``scenario`` (a claim on ``test_x[a-b]`` holds for that
    parametrisation only; one on ``test_x`` for all of them)."""
    return tuple(c for c in TABLES.get(client, ()) if c.scenario in (scenario, f"{scenario}{params}"))
