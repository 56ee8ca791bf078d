"""Known findings of the clients under test, per scenario: the review's ids, why, and which
verdicts they make fail. Each entry turns that scenario into a strict expected failure for that
client (``scenarios/conftest.py``): it must fail with exactly those verdicts, and the suite fails
when it stops failing. Every entry was seen failing in a run and read in the client's source (or
``../shared/reference/projectx-protocol.md``) before it went in here.

Ids R1-R18 are the review's (DESIGN.md section 3). X-ids are failures the catalogue found that the
review does not list:
- X1: a duplicated invocation reaches the user twice (no sequence check).
"""

from __future__ import annotations

from harness.chaos import Finding

from .bare import PYSIGNALR, SIGNALRCORE_095, SIGNALRCORE_102
from .projectx import PX_330, PX_441

FINDINGS: dict[str, dict[str, Finding]] = {
    "project-x-py-3.3.0": PX_330,
    "project-x-py-4.4.1": PX_441,
    "pysignalr-1.3.3": PYSIGNALR,
    "signalrcore-0.9.5": SIGNALRCORE_095,
    "signalrcore-1.0.2": SIGNALRCORE_102,
}
