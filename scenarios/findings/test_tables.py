"""The findings tables, the recorded run and docs/findings.md agree (no processes: under a second).

A claim that names a scenario that does not exist, a verdict its scenario never checked, or a run
that did not show it, fails here; so does a page that is not what the tables and the run give.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from . import TABLES
from .__main__ import INCIDENTS, check, command
from .document import SDKS, claim_status
from .record import ROOT, TIMELINES, Recorded, node_id, timeline_file
from .review import REVIEW, REVIEW_IDS

SOURCE = re.compile(r"^((sc|wsc):)?[\w./-]+\.py(:\d+(-\d+)?)?$")


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    return Recorded.load()


@pytest.mark.parametrize("client", SDKS)
def test_every_review_id_has_a_verdict_for_each_sdk_version(client: str) -> None:
    claimed = {c.id for c in TABLES[client]}
    assert set(REVIEW_IDS) <= claimed, f"no claim for {sorted(set(REVIEW_IDS) - claimed)}"


def test_every_claim_names_a_known_id_a_real_scenario_and_its_source() -> None:
    for client, claims in TABLES.items():
        for claim in claims:
            assert claim.id in REVIEW, f"{client}: {claim.id} is not in review.py"
            assert all(SOURCE.match(s) for s in claim.source), (
                f"{client} {claim.id}: bad source {claim.source}"
            )
            if claim.scenario:
                node_id(claim.scenario, client)  # raises if no scenario has that name


@pytest.mark.parametrize("client", SDKS)  # the bare libraries' tables are held when they run
def test_the_recorded_run_shows_every_claim(recorded: Recorded, client: str) -> None:
    wrong = [
        f"{c.id} {c.scenario}: {why}"
        for c in TABLES[client]
        if (why := claim_status(c, recorded, client))[0] == "error"
    ]
    assert not wrong, "\n".join(wrong)


def test_every_recorded_cell_is_a_result_and_every_committed_timeline_is_a_cell(recorded: Recorded) -> None:
    assert not [o for o in recorded.outcomes if o.outcome == "error"]
    cells = {timeline_file(o.scenario) for o in recorded.outcomes}
    stale = [p.name for p in TIMELINES.glob("*.json") if p not in cells]
    assert not stale, f"timelines of no recorded cell: {stale}"


def test_the_page_is_the_catalogues_a_scenario_file_is_no_cell(recorded: Recorded, tmp_path: Path) -> None:
    argv = command("reference", tmp_path)
    assert f"not {INCIDENTS}" in argv[argv.index("-k") + 1]
    assert not [o.scenario for o in recorded.outcomes if o.scenario.startswith(INCIDENTS)]


def test_the_page_and_the_readme_summary_are_what_the_tables_and_the_run_give() -> None:
    assert check() == 0, "run `make findings-page`"


def test_every_relative_link_of_the_page_resolves() -> None:
    page = ROOT / "docs" / "findings.md"
    for target in re.findall(r"\]\(([^)#][^)]*)\)", page.read_text()):
        if "://" not in target:
            assert (page.parent / target).resolve().exists(), target
