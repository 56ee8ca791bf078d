"""Verdicts are three-valued: pass, fail, or unknown.

*Unknown* means the client under test cannot say: a driver field it leaves null (``queued``,
``tasks``), a counter it does not have (``callbacks_skipped_open_breaker``), a hub state it cannot
report (``failed``, for a client that has only a connected flag). Unknown is never a failure and
never a pass: a scenario whose verdicts pass but for some unknown ones is reported as unknown, and
a finding whose listed verdict came out unknown is not reproduced (``harness/run/findings.py``).

A checker that cannot decide because the *scenario* did not do its part (no fault applied, no
message sent) fails with "nothing was tested": that is the harness's fault, not an unknown about
the client.
"""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["pass", "fail", "unknown"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "unknown")


@dataclass(frozen=True, slots=True)
class Verdict:
    """One invariant's outcome: ``ok`` True (pass), False (fail) or None (unknown)."""

    name: str
    ok: bool | None
    detail: str

    @classmethod
    def unknown(cls, name: str, why: str) -> Verdict:
        return cls(name, None, why)

    @property
    def status(self) -> Status:
        return "unknown" if self.ok is None else "pass" if self.ok else "fail"

    @property
    def failed(self) -> bool:
        return self.ok is False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "ok": self.ok, "detail": self.detail}

    @classmethod
    def from_json(cls, row: abc.Mapping[str, Any]) -> Verdict:
        status = row.get("status")
        ok = row.get("ok") if status is None else {"pass": True, "fail": False}.get(status)
        return cls(str(row["name"]), ok, str(row.get("detail", "")))


def overall(verdicts: abc.Iterable[Verdict]) -> Status:
    """A set of verdicts: fail if any failed, else unknown if any is unknown, else pass."""
    statuses = {v.status for v in verdicts}
    return "fail" if "fail" in statuses else "unknown" if "unknown" in statuses else "pass"
