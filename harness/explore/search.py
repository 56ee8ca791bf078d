"""The search: Hypothesis draws examples (``vocabulary.py``), each runs for real (``probe.py``), a
failure is shrunk with real runs to the smallest example failing the *same* invariant, and the
result is replayed until it is clear whether it fails reliably.

How Hypothesis is driven:

- The invariant an example fails is its first failed one (in ``probe.py``'s order), raised as an
  exception class of its own (``Fails_<invariant>``): Hypothesis keeps a failure's class while it
  shrinks, so the shrunk example fails the same invariant as the one found.
- A baseline run first plays no fault at all; what fails there (a token in the URL, say) is the
  catalogue's ground, reported once and left out of the search.
- Every result is cached by example, so Hypothesis's own re-runs (it replays the shrunk example
  before reporting it) cost nothing and cannot turn flaky.
- After a failure is shrunk and replayed, the search goes on with that invariant (and the others
  its replays failed: one cause, several symptoms) left out, so one run finds several different
  failures.
- Budgets: ``budget_s`` of searching (then ``StopSearch``, a ``BaseException`` Hypothesis lets
  through); each failure then gets ``shrink_budget_s`` to shrink (two thirds for Hypothesis, after
  which untried candidates count as passing, so it settles on the smallest failure seen; the rest
  for single deletions, ``_polish``), plus its replays (neither counts against the search); each
  run at most ``example_timeout_s``. Ctrl-C stops at once and the smallest failure seen so far is
  reported.
- Hypothesis's example database (``database``) keeps failing examples, so the next run with the
  same client tries them first.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections import abc
from dataclasses import dataclass, replace
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, given, reject, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from ..errors import HarnessError
from ..infra.toxiproxy import ToxiproxyServer
from .probe import Probe, probe
from .result import Found, Summary, replay_command
from .vocabulary import NAMES, Example, examples


class StopSearch(BaseException):
    """The search budget is spent (a BaseException: Hypothesis must not take it for a failure)."""


class InvariantFailed(Exception):
    def __init__(self, invariant: str, example: Example, result: Probe) -> None:
        super().__init__(f"{invariant}: {example.describe()}")
        self.invariant = invariant
        self.example = example
        self.result = result


_FAILURES: dict[str, type[InvariantFailed]] = {}


def failure(invariant: str) -> type[InvariantFailed]:
    """One exception class per invariant, so that Hypothesis shrinks a failure into the same one."""
    if invariant not in _FAILURES:
        _FAILURES[invariant] = type(f"Fails_{invariant}", (InvariantFailed,), {})
    return _FAILURES[invariant]


@dataclass(frozen=True, slots=True)
class Settings:
    client: str
    budget_s: float = 120.0
    seed: int = 0
    faults: tuple[str, ...] = NAMES
    shrink_budget_s: float = 180.0
    example_timeout_s: float = 90.0
    replays: int = 3
    max_found: int | None = None  # stop after this many different failures (None: search the budget out)


class Explorer:
    def __init__(
        self,
        config: Settings,
        toxiproxy: ToxiproxyServer,
        directory: Path,
        *,
        progress: abc.Callable[[str], None] = print,
        database: Path | None = None,
        shown: abc.Callable[[Path], Path] = lambda p: p,
    ) -> None:
        self.config = config
        self.toxiproxy = toxiproxy  # restarted when a run leaves it hung (``revive``)
        self.directory = directory
        self.progress = progress
        self.database = database
        self.shown = shown  # how a path is printed (relative to the repository root, where replays run)
        self.summary = Summary(config.client, config.seed, config.faults)
        self._cache: dict[str, Probe] = {}
        self._failures: list[tuple[Example, str, Probe]] = []
        self._ignore: set[str] = set()
        self._started = 0.0
        self._search_deadline = 0.0
        self._shrink_deadline: float | None = None
        self._shrink_started = 0.0

    # -- running examples -------------------------------------------------------------------------

    def _run(self, example: Example, label: str, *, keep: bool = False) -> Probe:
        directory = self.directory / label
        if directory.exists():
            shutil.rmtree(directory)
        for attempt in (1, 2):
            result = asyncio.run(
                probe(
                    example,
                    client=self.config.client,
                    toxiproxy_url=self.toxiproxy.url,
                    directory=directory,
                    replay_command=replay_command(
                        self.config.client, self.shown(directory / "timeline.json")
                    ),
                    timeout_s=self.config.example_timeout_s,
                )
            )
            if result.harness_error is None:
                break
            restarted = self.toxiproxy.revive()
            self.progress(
                f"explore {label}: not judged: {result.harness_error}"
                + ("; Toxiproxy restarted" if restarted else "")
                + ("; running it again" if attempt == 1 else "; left out")
            )
        if result.harness_error is not None:
            self.summary.unjudged += 1
            return result
        self.summary.examples += 1
        primary = result.primary(self._ignore)
        outcome = "pass" if primary is None else f"FAIL {primary}: {_detail(result, primary)}"
        unknown = [v.name for v in result.verdicts if v.ok is None]
        self.progress(
            f"explore {label} [{self._left()}] {example.describe()} -> {_clip(outcome)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown and primary is None else "")
            + f" ({result.took_s:.1f} s)"
        )
        if primary is None and not keep:
            shutil.rmtree(directory, ignore_errors=True)  # passing runs keep only their progress line
        return result

    def _left(self) -> str:
        now = time.monotonic()
        if self._shrink_deadline is None:
            return f"search {max(0.0, self._search_deadline - now):.0f} s left"
        return f"shrink {max(0.0, self._shrink_deadline - now):.0f} s left"

    def _result(self, example: Example) -> Probe | None:
        """``example``'s result, run now unless it ran before; None once the shrink budget is spent
        (an untried candidate then counts as passing). ``StopSearch`` once the search budget is."""
        key = json.dumps(example.to_json(), sort_keys=True)
        result = self._cache.get(key)
        if result is None:
            now = time.monotonic()
            if self._shrink_deadline is None and now >= self._search_deadline:
                raise StopSearch
            if self._shrink_deadline is not None and now >= self._shrink_deadline:
                return None
            label = f"example-{len(self._cache) + 1:04d}"
            result = self._cache[key] = self._run(example, label)
        return result

    def _test(self, example: Example) -> None:
        """Hypothesis's test function: run (or recall) ``example``; raise its failure's class."""
        result = self._result(example)
        if result is not None and result.harness_error is not None:
            reject()  # the harness could not judge it: neither a pass nor a failure
        primary = None if result is None else result.primary(self._ignore)
        if result is None or primary is None:
            return
        if self._shrink_deadline is None:  # the first failure of this round: shrinking starts now
            self._shrink_started = time.monotonic()  # Hypothesis gets two thirds, _polish the rest
            self._shrink_deadline = self._shrink_started + self.config.shrink_budget_s * 2 / 3
        self._failures.append((example, primary, result))
        raise failure(primary)(primary, example, result)

    # -- the search -------------------------------------------------------------------------------

    def run(self) -> Summary:
        """Baseline, search, shrink, replay; a summary (also when interrupted: then re-raised)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._started = time.monotonic()
        self._search_deadline = self._started + self.config.budget_s
        try:
            baseline = self._run(Example(self.config.seed, 1, (), ()), "baseline", keep=True)
            if baseline.harness_error is not None:
                raise HarnessError(f"the run with no fault could not be judged: {baseline.harness_error}")
            self.summary.baseline = {v.name: v.detail for v in baseline.failed()}
            self._ignore = set(self.summary.baseline)
            if "connected_at_end" in self._ignore or "example_finished" in self._ignore:
                self.progress("explore: the client does not even run without a fault: nothing to explore")
                return self._finish()
            while (found := self._search()) is not None:
                self.summary.found.append(self._replay(found))
                if self.config.max_found is not None and len(self.summary.found) >= self.config.max_found:
                    break
                # Search on for a different failure: not this one, nor what else the same example fails
                # (one cause shows as several invariants: a hub never resubscribed is also a stall).
                self._ignore |= {found.invariant, *found.also}
                self._shrink_deadline = None
                self._failures.clear()
                self._search_deadline += time.monotonic() - self._shrink_started  # not search time
        except Exception:
            self._finish()  # what was found before the harness failed, then the failure itself
            raise
        except KeyboardInterrupt:
            self.summary.interrupted = True
            if self._failures:  # one found but not yet shrunk: the smallest seen, as it is
                example, invariant, result = min(self._failures, key=lambda f: _size(f[0]))
                self.summary.found.append(self._save(Found(invariant, _detail(result, invariant), example)))
            self._finish()
            raise
        return self._finish()

    def _search(self) -> Found | None:
        db = DirectoryBasedExampleDatabase(str(self.database)) if self.database is not None else None

        @seed(self.config.seed)
        @settings(
            max_examples=1_000_000,  # the budgets end the search, not a count
            deadline=None,
            database=db,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
            print_blob=False,
        )
        @given(examples(self.config.seed, self.config.faults))
        def explore_client(example: Example) -> None:
            self._test(example)

        try:
            explore_client()
        except StopSearch:
            return None
        except InvariantFailed as smallest:
            example, result = self._polish(smallest.example, smallest.invariant, smallest.result)
            return Found(smallest.invariant, _detail(result, smallest.invariant), example)
        return None

    def _polish(self, example: Example, invariant: str, result: Probe) -> tuple[Example, Probe]:
        """Hypothesis's shrinker can leave a list longer than it need be (deleting one of several
        steps drawn from ``one_of`` is a move it does not always find): try every single deletion
        (a step, an action, a callback, a contract) until none still fails ``invariant`` first, or
        the shrink budget is spent."""
        self._shrink_deadline = self._shrink_started + self.config.shrink_budget_s
        smaller = True
        while smaller:
            smaller = False
            for candidate in _one_smaller(example):
                tried = self._result(candidate)
                if tried is None:
                    return example, result  # the shrink budget is spent
                if tried.primary(self._ignore) == invariant:
                    example, result, smaller = candidate, tried, True
                    break
        return example, result

    def _replay(self, found: Found) -> Found:
        """Run the shrunk example ``replays`` times afresh: does it fail the same invariant each time?"""
        self.progress(f"explore: replaying the smallest example {self.config.replays} times")
        for n in range(1, self.config.replays + 1):
            result = self._run(found.example, f"replay-{found.invariant}-{n}", keep=True)
            if result.harness_error is not None:  # not counted either way
                continue
            failed = [v.name for v in result.failed(self._ignore)]
            found.replayed.append(found.invariant in failed)
            found.also += [name for name in failed if name != found.invariant and name not in found.also]
            found.report = result.directory
        return self._save(found)

    def _save(self, found: Found) -> Found:
        """The shrunk example as a timeline file ``--chaos-replay`` plays, with what it fails."""
        path = self.directory / "found" / f"{len(self.summary.found) + 1}-{found.invariant}" / "timeline.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = found.example.to_json()
        body["explore"] |= {
            "fails": found.invariant,
            "also": found.also,
            "detail": found.detail,
            "verdict": found.verdict,
            "baseline": sorted(self._ignore),
            "client": self.config.client,
        }
        path.write_text(json.dumps(body, indent=2))
        found.timeline = self.shown(path)
        found.command = replay_command(self.config.client, found.timeline)
        return found

    def _finish(self) -> Summary:
        self.summary.took_s = time.monotonic() - self._started
        (self.directory / "summary.json").write_text(json.dumps(self.summary.to_json(), indent=2))
        (self.directory / "summary.txt").write_text("\n".join(self.summary.lines()) + "\n")
        return self.summary


def _detail(result: Probe, invariant: str) -> str:
    return next((v.detail for v in result.verdicts if v.name == invariant), "")


def _one_smaller(example: Example) -> abc.Iterator[Example]:
    """Every example one deletion smaller than ``example``."""
    for i in range(len(example.steps)):
        yield replace(example, steps=example.steps[:i] + example.steps[i + 1 :])
    for i in range(len(example.actions)):
        yield replace(example, actions=example.actions[:i] + example.actions[i + 1 :])
    for i in range(len(example.callbacks)):
        yield replace(example, callbacks=example.callbacks[:i] + example.callbacks[i + 1 :])
    if example.contracts > 1:
        fewer = example.contracts - 1
        actions = tuple(a for a in example.actions if a.contract < fewer)
        yield replace(example, contracts=fewer, actions=actions)


def _clip(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _size(example: Example) -> tuple[int, int, float]:
    """Smaller is simpler: fewer steps and actions, then less time."""
    return (len(example.steps) + len(example.actions), example.contracts, example.end_s)
