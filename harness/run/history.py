"""One run's history: what the client observed, what the server sent, what faults did, and when.

Three sources merged into one JSON-lines file (``history.jsonl``), each line with ``src``:

- ``client``: an observation by the client adapter: ``kind`` (quote, trade, depth, order, ...,
  ``state``, ``gap``, ``subscribed``, ``metrics``), ``hub``, ``key``, ``seq``, ``data`` (small);
- ``server``: a send-history entry of the simulator (``simulator.history``): ``connectionId``,
  ``hub``, ``target``, ``key``, ``seq``, ``type``;
- ``fault``: a fault step applied or cleared (``action``, ``fault``, ``hub``, params; a clear's ``t``
  is when it was done, its ``asked`` when it was asked).

A run with several clients (a herd) gives each its own view (``for_client``): the observations of
all but the first carry ``client_index``, so a report can tell them apart.

Times are epoch seconds (``t``) on every line, so sources line up. ``RunHistory.load`` reads a
saved run back, so the checkers can run again offline.
"""

from __future__ import annotations

import json
import time
from collections import abc, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class FaultSpan:
    """One fault on one hub: applied at ``start``, its clear asked at ``asked`` and done at ``done``
    (None: never cleared, an event such as a Close, or in place until the end). Until ``done`` the
    fault is in force: removing a toxic that held data can take seconds after it was asked."""

    fault: str
    hub: str
    start: float
    asked: float | None
    done: float | None
    params: dict[str, Any] = field(default_factory=dict)

    def describe(self, t0: float) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        what = f"{self.fault}{f' ({params})' if params else ''} on the {self.hub} hub"
        if self.asked is None:
            return f"{what} from {self.start - t0:.2f} s, never cleared"
        lifted = f"from {self.start - t0:.2f} s to {self.asked - t0:.2f} s ({self.asked - self.start:.2f} s)"
        if self.done is not None and self.done - self.asked >= 0.05:
            lifted += f"; clearing it took until {self.done - t0:.2f} s"
        return f"{what} {lifted}"


@dataclass(slots=True)
class RunHistory:
    client: list[dict[str, Any]] = field(default_factory=list)
    server: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)  # the simulator's HTTP request log
    meta: dict[str, Any] = field(default_factory=dict)
    client_index: int = 0  # which client of the run observes through this view (``for_client``)

    def for_client(self, index: int) -> RunHistory:
        """A view of this history for the run's ``index``-th client: the same lists, and its
        observations tagged ``client_index`` (but the first client's: most runs have one)."""
        return RunHistory(self.client, self.server, self.faults, self.requests, self.meta, client_index=index)

    def observe(self, kind: str, **fields: Any) -> None:
        self.observe_at(time.time(), kind, **fields)

    def observe_at(self, t: float, kind: str, **fields: Any) -> None:
        """An observation stamped by the process that made it (an adapter process's own clock)."""
        tag = {"client_index": self.client_index} if self.client_index else {}
        self.client.append({"t": t, "kind": kind, **fields, **tag})

    def fault(self, action: str, **fields: Any) -> None:
        self.faults.append({"t": time.time(), "action": action, **fields})

    def lines(self) -> abc.Iterator[dict[str, Any]]:
        merged = [{"src": "client", **e} for e in self.client]
        merged += [{"src": "server", **e} for e in self.server]
        merged += [{"src": "fault", **e} for e in self.faults]
        merged += [{"src": "request", **e} for e in self.requests]
        merged.sort(key=lambda e: e.get("t", 0.0))
        yield {"src": "meta", **self.meta}
        yield from merged

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as f:
            for line in self.lines():
                f.write(json.dumps(line, default=repr) + "\n")

    @classmethod
    def load(cls, path: Path) -> RunHistory:
        history = cls()
        buckets = {
            "client": history.client,
            "server": history.server,
            "fault": history.faults,
            "request": history.requests,
        }
        with path.open() as f:
            for raw in f:
                if not raw.strip():
                    continue
                line = json.loads(raw)
                src = line.pop("src")
                if src == "meta":
                    history.meta = line
                else:
                    buckets[src].append(line)
        return history

    def end(self) -> float:
        """When the run ended (``meta["end"]``), else its last client observation."""
        return float(self.meta.get("end", max((e["t"] for e in self.client), default=0.0)))

    def fault_spans(self) -> list[FaultSpan]:
        """The fault log as spans, in order of their start: applies matched with their clears
        (first in, first out, per fault and hub)."""
        open_: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        spans: list[tuple[float, int, FaultSpan]] = []  # sorted by start, then by the order applied
        for n, f in enumerate(sorted(self.faults, key=lambda f: f["t"])):
            key = (f.get("fault", "?"), f.get("hub", "?"))
            if f["action"] == "apply":
                open_[key].append((n, f))
            elif f["action"] == "clear":
                order, applied = open_[key].pop(0) if open_[key] else (n, None)
                asked = float(f.get("asked", f["t"]))
                start = applied["t"] if applied else asked
                spans.append((start, order, FaultSpan(*key, start, asked, f["t"], f.get("params") or {})))
        for (fault, hub), left in open_.items():
            spans += [
                (f["t"], n, FaultSpan(fault, hub, f["t"], None, None, f.get("params") or {})) for n, f in left
            ]
        return [span for _, _, span in sorted(spans, key=lambda s: s[:2])]

    def client_events(self, *kinds: str) -> list[dict[str, Any]]:
        return [e for e in self.client if e["kind"] in kinds]
