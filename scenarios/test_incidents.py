"""Incidents as scenario files (``scenarios/incidents/*.toml``, or ``--scenario-file PATH``): each
file's stream, fault timeline and invariants, against every ``--client``, with no Python.

    pytest scenarios/test_incidents.py -m chaos --client reference
    pytest scenarios/test_incidents.py -m chaos --scenario-file incident.toml --client project-x-py-3.3.0

The same run outside pytest: ``python -m harness.incident replay FILE --client NAME``. Writing one:
docs/incidents.md.
"""

from __future__ import annotations

import pytest

from harness.chaos import ChaosRun
from harness.incident.runner import play
from harness.incident.scenario import ScenarioFile

pytestmark = pytest.mark.chaos


async def test_incident(incident: ChaosRun, scenario_file: ScenarioFile) -> None:
    incident.check(await play(scenario_file, incident))
