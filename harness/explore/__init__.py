"""Explore: generated fault timelines that find client bugs no scenario names, each shrunk to the
smallest example that still fails the same invariant, replayed to tell a reliable failure from a
flaky one, and saved as a timeline file ``--chaos-replay`` plays.

``vocabulary.py`` is what an example may do (``MOVES``, ``Example``, the Hypothesis strategies),
``probe.py`` runs one example through the real simulator and Toxiproxy and judges it with the
whole invariant set, ``search.py`` drives Hypothesis within the budgets, ``result.py`` is what a
run reports and the saved example's file (read back, replayed), and ``__main__.py`` is
``python -m harness.explore``; ``scenarios/test_explore.py`` is the same under pytest
(``-m explore``).
"""

from .result import Found, Summary, load, replay, replay_command
from .search import Explorer, Settings
from .vocabulary import MOVES, NAMES, Example, narrow

__all__ = [
    "MOVES",
    "NAMES",
    "Example",
    "Explorer",
    "Found",
    "Settings",
    "Summary",
    "load",
    "narrow",
    "replay",
    "replay_command",
]
