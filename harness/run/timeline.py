"""Fault timelines: what happens to which hub, when and for how long, from one seed.

A scenario builds its ``Timeline`` from a seeded ``random.Random`` (durations, latencies), so a seed
names the whole run; ``to_json``/``from_json`` save and reload the resolved steps, and
``--chaos-replay`` runs a saved timeline exactly. ``play`` applies each step at its time (seconds
after the start), clears it after its duration, and records both in the run history. Network
faults go through Toxiproxy (one proxy per hub); server faults through the simulator's control API.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import abc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..faults import Fault, FaultTarget, fault_named
from ..infra.toxiproxy import Toxiproxy
from .history import RunHistory


@dataclass(frozen=True, slots=True)
class Step:
    at_s: float
    fault: str
    hub: str  # "market", "user" or "both"
    duration_s: float | None = None  # None: left in place (until the scenario ends)
    params: dict[str, Any] = field(default_factory=dict)
    # On a client event instead of the clock: "<hub>:<state>[#n]" (the n-th time, default 1, that
    # the client reported that hub entering that state); ``at_s`` then counts from that moment.
    on: str | None = None

    def hubs(self) -> tuple[str, ...]:
        return ("user", "market") if self.hub == "both" else (self.hub,)


@dataclass(slots=True)
class Timeline:
    seed: int
    steps: list[Step]

    def __post_init__(self) -> None:
        for step in self.steps:
            if step.on is not None and not re.fullmatch(r"(user|market):[a-z]+(#\d+)?", step.on):
                raise ValueError(
                    f"bad event {step.on!r}: expected <hub>:<state>[#n], e.g. market:connected#2"
                )
            fault_named(step.fault, step.params)  # FaultError (a ValueError): unknown, or bad parameters
        stuck = crossing(self.steps)
        if stuck is not None:
            first, then = stuck
            raise ValueError(
                f"{first.fault} on {first.hub} at {first.at_s:g} s ends at "
                f"{first.at_s + (first.duration_s or 0.0):g} s while {then.fault} (applied after it, at "
                f"{then.at_s:g} s) still holds the link's data: Toxiproxy cannot remove a toxic in front "
                f"of one that holds data (it hangs). End {first.fault} after {then.fault}, or start it later"
            )

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "steps": [asdict(s) for s in self.steps]}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Timeline:
        return cls(int(body["seed"]), [Step(**s) for s in body["steps"]])

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2))

    @classmethod
    def load(cls, path: Path) -> Timeline:
        return cls.from_json(json.loads(path.read_text()))

    @property
    def end_s(self) -> float:
        return max((s.at_s + (s.duration_s or 0.0) for s in self.steps), default=0.0)


def crossing(steps: abc.Sequence[Step]) -> tuple[Step, Step] | None:
    """The first two clock steps on a shared hub where a network fault is cleared while a network
    fault applied after it still holds the link's data (``Fault.holds_data``), or None. Toxiproxy
    chains a link's toxics in the order they were added; removing one waits until the next one takes
    its data, which one that holds data never does. Nested faults (cleared in the reverse order)
    and faults that do not meet are fine. Event steps (``on``) have no time to compare."""
    order = {id(step): index for index, step in enumerate(steps)}
    faults = {id(step): fault_named(step.fault, step.params) for step in steps}
    network = [s for s in steps if s.on is None and faults[id(s)].layer == "network"]

    def applied(step: Step) -> tuple[float, int]:
        return (step.at_s, order[id(step)])

    def cleared(step: Step) -> tuple[float, int]:
        end = float("inf") if step.duration_s is None else step.at_s + step.duration_s
        return (end, order[id(step)])

    for first in network:
        for then in network:
            if (
                faults[id(then)].holds_data
                and set(first.hubs()) & set(then.hubs())
                and applied(first) < applied(then)
                and then.at_s < cleared(first)[0]  # at the same time, a clear goes before an apply
                and cleared(first) < cleared(then)
            ):
                return first, then
    return None


class Player:
    """Plays a timeline against Toxiproxy proxies (by hub) and the simulator's control API."""

    def __init__(
        self, toxiproxy: Toxiproxy, proxies: abc.Mapping[str, str], control_url: str, history: RunHistory
    ) -> None:
        self.target = FaultTarget(toxiproxy, proxies, control_url)
        self.history = history
        self._applied: dict[tuple[int, str], Fault] = {}  # (step id, hub) -> the fault applied there

    async def play(self, timeline: Timeline, event_timeout_s: float = 30.0) -> None:
        """Clock steps in time order; each event step once its client event happened (recorded as
        ``untriggered`` in the fault log if it never does within ``event_timeout_s``)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        events: list[tuple[float, int, str, Step]] = []
        for index, step in enumerate(timeline.steps):
            if step.on is not None:
                continue
            events.append((step.at_s, index, "apply", step))
            if step.duration_s is not None:
                events.append((step.at_s + step.duration_s, index, "clear", step))
        triggered = [self._on_event(step, event_timeout_s) for step in timeline.steps if step.on is not None]
        async with asyncio.TaskGroup() as group:
            for waiter in triggered:
                group.create_task(waiter)
            for at, _, action, step in sorted(events, key=lambda e: (e[0], e[2] == "apply", e[1])):
                delay = start + at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self._do(action, step)

    async def _on_event(self, step: Step, timeout_s: float) -> None:
        assert step.on is not None
        hub, _, rest = step.on.partition(":")
        state, _, nth = rest.partition("#")
        wanted = int(nth or 1)

        def seen() -> int:
            return sum(
                1
                for e in self.history.client_events("state")
                if e.get("hub") == hub and e["data"]["to"] == state
            )

        try:
            async with asyncio.timeout(timeout_s):
                while seen() < wanted:  # noqa: ASYNC110 - the history is a list, not an event source
                    await asyncio.sleep(0.01)
        except TimeoutError:
            # The client never got there (a client that never reconnects, say): that is for the
            # verdicts to judge; the fault log says the step was never played.
            self.history.fault("untriggered", fault=step.fault, hub=step.hub, on=step.on, waited_s=timeout_s)
            return
        await asyncio.sleep(step.at_s)
        await self._do("apply", step)
        if step.duration_s is not None:
            await asyncio.sleep(step.duration_s)
            await self._do("clear", step)

    async def _do(self, action: str, step: Step) -> None:
        """The step on each of its hubs at once: a removal that waits on one proxy (Toxiproxy
        flushes held data with a 5 s deadline per stuck write) must not hold the other hub's fault
        in force after its time."""
        done = await asyncio.gather(
            *(self._on_hub(action, step, hub) for hub in step.hubs()), return_exceptions=True
        )
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _on_hub(self, action: str, step: Step, hub: str) -> None:
        # A fault counts from when its apply was asked (detection bounds are never lenient) until
        # its clear was done (removing a toxic that held data can take seconds); the clear keeps
        # when it was asked too (``asked``), so a report can draw the clearing apart.
        if action == "apply":
            self.history.fault(action, fault=step.fault, hub=hub, params=step.params)
        asked = time.time()
        await self._act(action, step, hub)
        if action == "clear":
            self.history.fault(action, fault=step.fault, hub=hub, params=step.params, asked=asked)

    async def _act(self, action: str, step: Step, hub: str) -> None:
        key = (id(step), hub)
        if action == "apply":
            fault = self._applied[key] = fault_named(step.fault, step.params)
            await fault.apply(self.target, hub)
        elif key in self._applied:
            await self._applied.pop(key).clear(self.target, hub)

    async def clear_all(self) -> None:
        await self.target.toxiproxy.reset()
