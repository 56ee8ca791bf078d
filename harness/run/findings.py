"""Findings: precise claims about one client under test, and the rule that judges a run by them.

A ``Claim`` is what this project says about one review id (R1-R18, T1-T9; X-ids for failures the
review does not list) on one client family at a pinned version: the mechanism in our words, where
it is in that client's source (file:line), the scenario that isolates it, and the exact verdicts
that show it. It ends in one of:

- ``reproduced``: the scenario's listed verdicts fail, because of that mechanism;
- ``refuted``: the review's claim does not hold for that version: the listed verdicts, which the
  claim says would fail, pass;
- ``fixed``: a newer version no longer has it: the listed verdicts pass;
- ``passes``: a test-plan item (a T-id) the client gets through: the listed verdicts pass;
- ``unobservable``: neither from outside nor from inside the client's process can a run show it
  (the claim says why).

``observed`` says where the evidence comes from: ``outside`` (what the client shows its user and
what the simulator saw on the wire) or ``in-process`` (the driver, which runs inside the client's
process, inspecting the client's own objects: callback lists, task sets, log records).

``judge`` applies the rule to one scenario run: the verdicts that failed must be *exactly* the
union of the listed verdicts of its ``reproduced`` claims. A listed verdict that passed (or came out
unknown, or was never checked) means the finding was not shown; any other failed verdict means
the scenario failed for another reason than its findings, which is not evidence. Both are errors,
and the judgement says which verdicts.
"""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass
from typing import Literal

from .verdicts import Verdict, overall

Expect = Literal["reproduced", "refuted", "fixed", "passes", "unobservable"]
Observed = Literal["outside", "in-process"]
# A scenario run judged by its claims: ``reproduced`` (exactly as claimed), ``pass`` (no claim of a
# failure here, and every verdict passed), ``unknown`` (as ``pass``, but some verdict is unknown),
# ``error`` (anything else: an unexpected failure, or a claim that did not show).
Judged = Literal["pass", "unknown", "reproduced", "error"]


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    expect: Expect
    mechanism: str
    source: tuple[str, ...] = ()
    scenario: str = ""
    verdicts: tuple[str, ...] = ()
    observed: Observed = "outside"

    def __post_init__(self) -> None:
        if self.expect not in ("reproduced", "refuted", "fixed", "passes", "unobservable"):
            raise ValueError(f"{self.id}: expect must be reproduced, refuted, fixed, passes or unobservable")
        if self.expect == "unobservable":
            if self.scenario or self.verdicts:
                raise ValueError(f"{self.id}: an unobservable claim names no scenario or verdict")
        elif not self.scenario or not self.verdicts:
            raise ValueError(f"{self.id}: a {self.expect} claim needs its scenario and its exact verdicts")

    @property
    def must_fail(self) -> bool:
        return self.expect == "reproduced"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "expect": self.expect,
            "mechanism": self.mechanism,
            "source": list(self.source),
            "verdicts": list(self.verdicts),
            "observed": self.observed,
        }


@dataclass(frozen=True, slots=True)
class Judgement:
    status: Judged
    problems: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"status": self.status, "problems": list(self.problems), "unknown": list(self.unknown)}


def judge(claims: abc.Sequence[Claim], verdicts: abc.Sequence[Verdict]) -> Judgement:
    """One scenario run against the claims made for it (possibly none)."""
    by_name = {v.name: v for v in verdicts}
    failed = {v.name for v in verdicts if v.failed}
    unknown = tuple(v.name for v in verdicts if v.status == "unknown")
    must_fail = {name for c in claims if c.must_fail for name in c.verdicts}
    problems = [
        f"{name} failed, which no finding here explains: {by_name[name].detail}"
        for name in sorted(failed - must_fail)
    ]
    for claim in claims:
        for name in claim.verdicts:
            verdict = by_name.get(name)
            seen = "was not checked" if verdict is None else f"came out {verdict.status}"
            if claim.must_fail and (verdict is None or not verdict.failed):
                problems.append(f"{claim.id} is not shown: its verdict {name} {seen}")
            elif not claim.must_fail and (verdict is None or verdict.ok is not True):
                problems.append(f"{claim.id} ({claim.expect}) needs {name} to pass: it {seen}")
    if problems:
        return Judgement("error", tuple(problems), unknown)
    if must_fail:
        return Judgement("reproduced", (), unknown)
    return Judgement("unknown" if overall(verdicts) == "unknown" else "pass", (), unknown)


def enforce(
    judgement: Judgement, claims: abc.Sequence[Claim], verdicts: abc.Sequence[Verdict], where: str
) -> None:
    """Raise as ``judgement`` says: nothing for pass or unknown, ``FindingReproduced`` (the strict
    expected failure) when exactly the claimed verdicts failed, ``AssertionError`` naming what was
    not as claimed otherwise. ``where`` says which run, and how to replay it."""
    if judgement.status in ("pass", "unknown"):
        return
    lines = "\n".join(f"  {v.name}: {v.status}: {v.detail}" for v in verdicts if v.ok is not True)
    ids = ", ".join(c.id for c in claims if c.must_fail)
    if judgement.status == "reproduced":
        raise FindingReproduced(f"{ids} reproduced, exactly as claimed:\n{lines}\n{where}")
    problems = "\n".join(f"  - {p}" for p in judgement.problems)
    raise AssertionError(f"failed, not as any finding claims:\n{problems}\n{lines}\n{where}")


class FindingReproduced(AssertionError):
    """The scenario failed with exactly the verdicts its client's findings list."""
