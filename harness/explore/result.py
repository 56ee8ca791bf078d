"""What an exploration reports: each failure found (``Found``), the run's ``Summary`` (the lines a
person reads, and ``summary.json``), and the saved example's file: how it is named, read back
(``load``) and replayed (``replay``, ``replay_command``)."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .probe import Probe, probe
from .vocabulary import Example

NODE = "scenarios/test_explore.py::test_explore"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(slots=True)
class Found:
    invariant: str
    detail: str
    example: Example
    replayed: list[bool] = field(default_factory=list)  # each replay failed the same invariant
    also: list[str] = field(default_factory=list)  # the other invariants its replays failed: one symptom set
    timeline: Path | None = None
    report: Path | None = None
    command: str = ""

    @property
    def verdict(self) -> str:
        """``reliable`` (every replay failed it), ``flaky (k/n)``, or ``not replayed`` (interrupted)."""
        if not self.replayed:
            return "not replayed"
        k = sum(self.replayed)
        return "reliable" if k == len(self.replayed) else f"flaky ({k}/{len(self.replayed)})"

    @property
    def reliable(self) -> bool:
        return bool(self.replayed) and all(self.replayed)


@dataclass(slots=True)
class Summary:
    client: str
    seed: int
    faults: tuple[str, ...]
    examples: int = 0  # real runs, baseline and replays included
    took_s: float = 0.0
    baseline: dict[str, str] = field(default_factory=dict)  # invariant -> detail, failed with no fault
    found: list[Found] = field(default_factory=list)
    interrupted: bool = False
    unjudged: int = 0  # runs the harness could not judge (Toxiproxy hung twice): left out

    @property
    def reliable(self) -> list[Found]:
        """The failures that replay every time: what a run counts as found."""
        return [f for f in self.found if f.reliable]

    def lines(self) -> list[str]:
        out = [
            f"explore {self.client}: {self.examples} runs in {self.took_s:.0f} s, seed {self.seed}"
            + (" (interrupted)" if self.interrupted else "")
            + (f"; {self.unjudged} left out, not judged (Toxiproxy hung)" if self.unjudged else ""),
        ]
        for name, detail in self.baseline.items():
            out.append(f"  fails with no fault at all (left to the catalogue): {name}: {detail}")
        if not self.found:
            out.append("  found nothing")
        for f in self.found:
            out += [
                f"  FOUND {f.invariant} ({f.verdict}): {f.detail}",
                f"    smallest example ({len(f.example.steps)} fault steps): {f.example.describe()}",
            ]
            if f.also:
                out.append(f"    it also fails: {', '.join(f.also)}")
            if f.timeline is not None:
                out.append(f"    timeline: {f.timeline}")
            if f.report is not None:
                out.append(f"    report: {f.report / 'index.html'}")
            if f.command:
                out.append(f"    replay: {f.command}")
        return out

    def to_json(self) -> dict[str, Any]:
        found = [
            {
                "invariant": f.invariant,
                "detail": f.detail,
                "verdict": f.verdict,
                "replayed": f.replayed,
                "also": f.also,
                "steps": len(f.example.steps),
                "example": f.example.describe(),
                "timeline": str(f.timeline or ""),
                "report": str(f.report or ""),
                "command": f.command,
            }
            for f in self.found
        ]
        return {
            "client": self.client,
            "seed": self.seed,
            "faults": list(self.faults),
            "runs": self.examples,
            "took_s": round(self.took_s, 1),
            "baseline": self.baseline,
            "found": found,
            "interrupted": self.interrupted,
            "unjudged": self.unjudged,
        }


def slug(client: str) -> str:
    """A directory name for a client (``cmd:`` names hold spaces and slashes: those get a hash too,
    so two commands that differ only in their last flag do not share one)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", client).strip("_")
    if name == client and len(name) <= 60:
        return name
    return f"{name[:48]}-{zlib.crc32(client.encode()):08x}"


def shown(path: Path) -> Path:
    """``path`` as a replay command run from the repository root names it: relative when inside."""
    path = path.resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def replay_command(client: str, timeline: Path) -> str:
    """The line that replays ``timeline`` against ``client`` from the repository root (bash or zsh)."""
    node = f"{NODE}[{client}]"
    python = ".venv/bin/python" if Path(".venv/bin/python").exists() else Path(sys.executable).name
    return shlex.join(
        [python, "-m", "pytest", node, "-m", "explore", "--client", client, "--chaos-replay", str(timeline)]
    )


def load(path: Path) -> tuple[Example, str | None, tuple[str, ...]]:
    """A saved example (``found/timeline.json``, or one written by hand): the example, the invariant
    it was found failing (if any) and the invariants its client failed with no fault at all."""
    body = json.loads(path.read_text())
    extra = body.get("explore", {})
    return Example.from_json(body), extra.get("fails"), tuple(extra.get("baseline", ()))


def replay(path: Path, client: str, toxiproxy_url: str, directory: Path, timeout_s: float = 90.0) -> Probe:
    """Play a saved example once against ``client`` (``--chaos-replay`` on the explore scenario)."""
    example, _, _ = load(path)
    return asyncio.run(
        probe(
            example,
            client=client,
            toxiproxy_url=toxiproxy_url,
            directory=directory,
            replay_command=replay_command(client, path),
            timeout_s=timeout_s,
        )
    )
