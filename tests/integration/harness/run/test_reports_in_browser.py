"""Every page of a real run, as a person opens it: headless Chromium at 1280 px (``chromium.py``).

The run is made here: the partition scenario, as ``make run`` runs it, against the reference
client (passes) and against the reference client with a bug planted
(``../explore/planted_client.py``: it forgets its subscriptions on reconnect, so the page is a
failing one). Each page (the run's index and each scenario's) must load with no script or console
error, be no wider than the window, draw each chart with a time axis and (on a scenario page) a
legend, and link only to files that are there; the failing page must say what happened without
opening a file. Screenshots go to the test's tmp dir, and to ``$FAULTLINE_SCREENSHOTS`` if set.

Skipped, saying why, where Chromium is not installed (``make setup`` installs Debian's package).
``FAULTLINE_REPORT_RUN=reports/latest`` checks a run of yours instead (``make run``'s, say): every
page but the two checks about this test's own run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from .chromium import Chromium, Seen, available

ROOT = Path(__file__).resolve().parents[4]
PLANTED = ROOT / "tests" / "integration" / "harness" / "explore" / "planted_client.py"
SCENARIO = (
    "scenarios/test_partition.py::test_partition_of_the_market_hub_is_detected_and_healed_with_no_silent_loss"
)
WIDTH = 1280
GIVEN = "FAULTLINE_REPORT_RUN"  # a run directory to check instead of making one


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run's report directory: one page that passes, one that fails."""
    why = available()
    if why is not None:
        pytest.skip(f"no browser to render the reports in: {why}")
    if os.environ.get(GIVEN):
        return Path(os.environ[GIVEN]).resolve()
    reports = tmp_path_factory.mktemp("reports")
    planted = f"cmd:{sys.executable} {PLANTED} --plant forget-subscriptions"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", SCENARIO, "-m", "chaos", "--client", f"reference,{planted}",
         "--chaos-seed", "1", "--chaos-reports", str(reports), "-p", "no:cacheprovider", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=150, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]  # the planted client fails
    [directory] = [p for p in reports.iterdir() if p.is_dir() and p.name != "latest"]
    return directory


@pytest.fixture(scope="module")
def seen(run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Seen]:
    """Each page of the run, rendered and measured; its screenshot saved."""
    shots = tmp_path_factory.mktemp("screenshots")
    pages = sorted(run.rglob("*.html"))
    found = asyncio.run(_render(run, pages, shots, tmp_path_factory.mktemp("chromium") / "chromium.log"))
    if os.environ.get("FAULTLINE_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["FAULTLINE_SCREENSHOTS"], dirs_exist_ok=True)
    return found


async def _render(run: Path, pages: list[Path], shots: Path, log: Path) -> dict[Path, Seen]:
    found = {}
    with Chromium(log) as browser:
        async with await browser.page(WIDTH) as page:
            for html in pages:
                found[html] = await page.open(html)
                await page.screenshot(shots / f"{_shot_name(run, html)}.png", found[html].probe["height"])
    return found


def _shot_name(run: Path, html: Path) -> str:
    """``index``, or the scenario's name and outcome: ``test_partition_of_the_market_hub-fail``."""
    if html.parent == run:
        return "index"
    outcome = json.loads((html.parent / "report.json").read_text())["outcome"]
    return f"{html.parent.name.split('[')[0][:60]}-{outcome}"


def _scenario_pages(seen: dict[Path, Seen]) -> dict[Path, Seen]:
    return {page: s for page, s in seen.items() if (page.parent / "report.json").is_file()}


def test_every_page_of_the_run_was_rendered(run: Path, seen: dict[Path, Seen]) -> None:
    assert run / "index.html" in seen
    assert len(_scenario_pages(seen)) == (
        len(list(run.glob("*/report.json"))) if os.environ.get(GIVEN) else 2
    )


def test_no_page_raises_a_script_or_console_error(seen: dict[Path, Seen]) -> None:
    assert {page.parent.name: s.errors for page, s in seen.items() if s.errors} == {}


def test_no_page_is_wider_than_the_window(seen: dict[Path, Seen]) -> None:
    wide = {
        page.parent.name: f"{s.probe['scrollWidth']} px wide in {s.probe['clientWidth']}: {s.probe['wide']}"
        for page, s in seen.items()
        if s.probe["scrollWidth"] > s.probe["clientWidth"]
    }
    assert wide == {}


def test_every_chart_has_a_time_axis_and_every_scenario_page_a_legend(seen: dict[Path, Seen]) -> None:
    missing = {}
    for page, s in _scenario_pages(seen).items():
        charts = s.probe["charts"]
        if not charts:
            missing[page.parent.name] = "no chart"
        elif any(c["ticks"] < 3 or c["tickLabels"] < 3 for c in charts):
            missing[page.parent.name] = f"a chart without a time axis: {charts}"
        elif s.probe["legend"] < 3:
            missing[page.parent.name] = f"no legend ({s.probe['legend']} entries)"
    assert missing == {}


def test_every_link_points_at_a_file_that_is_there(seen: dict[Path, Seen]) -> None:
    broken = {}
    for page, s in seen.items():
        for href in s.probe["links"]:
            url = urlparse(href)
            if url.scheme != "file" or not Path(unquote(url.path)).exists():
                broken.setdefault(page.parent.name, []).append(href)
    assert broken == {}


def test_the_failing_page_says_what_happened_without_opening_a_file(seen: dict[Path, Seen]) -> None:
    if os.environ.get(GIVEN):
        pytest.skip(f"{GIVEN}: this run's own failing page is the one checked")
    [s] = [
        s
        for p, s in _scenario_pages(seen).items()
        if json.loads((p.parent / "report.json").read_text())["outcome"] == "fail"
    ]
    box = s.probe["box"]
    assert "FAIL" in box
    assert "partition on the market hub from" in box  # which fault, when
    assert "market hub lost at" in box  # when the client noticed, and its reason
    assert "heartbeat" in box
    assert " sent, " in box  # what was lost
    assert "--chaos-replay" in box  # how to replay it
    assert s.probe["title"].startswith("FAIL: Partition of the market hub")
