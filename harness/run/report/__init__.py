"""Run reports a person would rather look at than read: ``reports/<run-id>/``.

Per scenario, in ``<run-id>/<scenario>/``: ``history.jsonl`` (the merged history), ``timeline.json``
(the resolved faults; replay with ``--chaos-replay``), ``verdicts.json``, ``report.json`` (title,
outcome and why, for the index) and ``index.html``: what happened in a box at the top, the timeline
of faults, states and messages per hub, the verdicts, the client's metrics, every file, and the line
that replays the run. ``<run-id>/index.html`` lists the scenarios, failures first;
``reports/latest`` points to the newest run.

The pages are static (no script, nothing fetched: inline SVG) and fit a 1280 px window;
``tests/integration/harness/run/test_reports_in_browser.py`` renders a real run's pages in headless
Chromium to hold them to that.

- ``scenario.py``: a scenario's page; ``index.py``: a run's index;
- ``story.py``: what the history says happened (fault spans, states, moments, losses, rates);
- ``chart.py``: the timeline and metrics charts; ``svg.py``: scales, axes and shapes;
- ``titles.py``: titles in plain words; ``page.py``: outcomes, the page frame and its style.
"""

from .index import RunAbout, write_index
from .scenario import write_scenario

__all__ = ["RunAbout", "write_index", "write_scenario"]
