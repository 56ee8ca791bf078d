"""When each contract's next event of each kind is due: sans-I/O, in stream time.

Stream time starts at 0 when the market starts and follows the wall clock, except that it slips
when the server cannot keep up (see ``MarketHub``), so the order of events is a function of the
seed and the profile alone: the same seed and profile give the same sequence of (contract, kind)
events, whatever the machine's speed. Rate changes (a burst starting or ending, a live change
through the control API) keep each stream's progress towards its next event: a stream halfway to
its next quote at the old rate is halfway at the new one.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import abc

from .profile import KINDS, StreamProfile

Event = tuple[float, str, str]  # (stream time, contract id, kind)


class StreamSchedule:
    def __init__(self, contracts: abc.Mapping[str, str], profile: StreamProfile, seed: int = 0) -> None:
        """``contracts`` maps contract id to symbol, in a fixed order."""
        self.profile = profile
        self.now = 0.0
        self._streams = [(cid, symbol, kind) for cid, symbol in contracts.items() for kind in KINDS]
        rng = random.Random(f"schedule:{seed}")
        # Progress still needed towards each stream's next event, in events (1.0 = a whole one);
        # random first phases keep contracts from all ticking at the same instants.
        self._owed = [rng.random() for _ in self._streams]
        self._rates = [0.0] * len(self._streams)
        self._heap: list[tuple[float, int]] = []
        self._edge = profile.next_edge(0.0)
        self._rebuild(0.0)

    def _rebuild(self, t: float) -> None:
        """Recompute every stream's rate at ``t`` and its next due time from its progress."""
        self._heap = []
        for index, (cid, symbol, kind) in enumerate(self._streams):
            rate = self._rates[index] = self.profile.rate(cid, symbol, kind, t)
            if rate > 0:
                self._heap.append((t + self._owed[index] / rate, index))
        heapq.heapify(self._heap)

    def _settle(self, t: float) -> None:
        """Record how far each scheduled stream has come by ``t`` (before its rate changes)."""
        for due, index in self._heap:
            self._owed[index] = min(1.0, max(0.0, (due - t) * self._rates[index]))

    def change(self, profile: StreamProfile, t: float) -> None:
        """Switch to ``profile`` at stream time ``t`` (a live change)."""
        t = max(t, self.now)
        self._settle(t)
        self.profile = profile
        self.now = t
        self._edge = profile.next_edge(t)
        self._rebuild(t)

    def next_time(self) -> float:
        """When something is next due: an event or a rate change (inf when nothing ever is)."""
        return min(self._heap[0][0] if self._heap else math.inf, self._edge)

    def take(self, until: float, limit: int) -> list[Event]:
        """The events due by ``until``, in order, at most ``limit`` of them."""
        events: list[Event] = []
        heap = self._heap
        while len(events) < limit:
            due = heap[0][0] if heap else math.inf
            if self._edge <= min(due, until):  # a burst starts or ends first
                edge = self._edge
                self._settle(edge)
                self.now = edge
                self._edge = self.profile.next_edge(edge)
                self._rebuild(edge)
                heap = self._heap
                continue
            if due > until:
                self.now = max(self.now, until)
                break
            _, index = heapq.heappop(heap)
            cid, _, kind = self._streams[index]
            self.now = due
            events.append((due, cid, kind))
            heapq.heappush(heap, (due + 1.0 / self._rates[index], index))
        return events

    def rates_now(self) -> dict[str, dict[str, float]]:
        """Each contract's current rate per kind, bursts included."""
        rates: dict[str, dict[str, float]] = {}
        for index, (cid, _, kind) in enumerate(self._streams):
            rates.setdefault(cid, {})[kind] = self._rates[index]
        return rates
