"""The shape of the market streams: rates per contract and per event kind, and bursts.

Three event kinds per contract, each at its own rate (events per second):

- ``quote``: the price takes a step on the tick grid; a depth increment and a ``GatewayQuote``;
- ``trade``: an aggressive trade at the touch; a ``GatewayTrade``;
- ``depth``: the size at one book level changes, no price move; a ``GatewayDepth`` increment.

A contract's rate for a kind is its own override (by contract id, then by symbol) or the default.
A burst multiplies the rates of the kinds and contracts it names by ``factor`` for ``duration_s``,
starting ``start_s`` after the stream starts, once or ``every_s``. Times are stream time (see
``schedule``), so a profile's bursts land on the same events in every run with the same seed.

The same objects come from flags, a profile file (``python -m simulator --profile FILE``) and the
control API; ``parse_rates`` and ``parse_burst`` check input for all three, within documented
bounds (finite, a rate at most ``MAX_RATE`` events/s, a burst factor at most ``MAX_FACTOR``, times
between ``MIN_BURST_S`` and ``MAX_TIME_S``) that keep stream time moving and every timer sane.
"""

from __future__ import annotations

import math
from collections import abc
from dataclasses import dataclass, field, replace
from typing import Any

from ..values import BadValue, number

KINDS = ("quote", "trade", "depth")
DEFAULT_RATES = {"quote": 4.0, "trade": 2.0, "depth": 0.0}
MAX_RATE = 100_000.0  # events/s per contract and kind (a burst multiplies it)
MAX_FACTOR = 1_000.0
MIN_BURST_S = 0.001  # shorter bursts or periods would make the schedule spin on its edges
MAX_TIME_S = 7 * 86400.0  # a week of stream time: the longest soak with room


class ProfileError(ValueError):
    """Input that does not describe a stream shape; the message says what is wrong."""


def _bounded(value: Any, where: str, low: float, high: float, *, low_open: bool = False) -> float:
    try:
        return float(number(value, where, low=low, high=high, low_open=low_open))
    except BadValue as exc:
        raise ProfileError(str(exc)) from None


def _rate(value: Any, where: str) -> float:
    return _bounded(value, where, 0.0, MAX_RATE)


def parse_rates(raw: abc.Mapping[str, Any], where: str = "rates") -> dict[str, float]:
    """``{"quote": 20, "trade": 5}`` (any subset of the kinds), checked."""
    unknown = sorted(set(raw) - set(KINDS))
    if unknown:
        raise ProfileError(f"{where}: unknown event kind(s) {unknown}: choose from {list(KINDS)}")
    return {kind: _rate(value, f"{where}.{kind}") for kind, value in raw.items()}


@dataclass(frozen=True, slots=True)
class Burst:
    factor: float
    duration_s: float
    start_s: float = 0.0
    every_s: float | None = None  # repeat with this period; None: once
    contracts: frozenset[str] | None = None  # contract ids or symbols; None: all
    kinds: frozenset[str] | None = None  # None: all

    def active(self, t: float) -> bool:
        if t < self.start_s:
            return False
        into = t - self.start_s
        if self.every_s is not None:
            into %= self.every_s
        return into < self.duration_s

    def next_edge(self, t: float) -> float:
        """The first time after ``t`` at which this burst starts or ends (inf when none)."""
        if t < self.start_s:
            return self.start_s
        if self.every_s is None:
            end = self.start_s + self.duration_s
            return end if t < end else math.inf
        cycle_start = self.start_s + (t - self.start_s) // self.every_s * self.every_s
        for edge in (cycle_start + self.duration_s, cycle_start + self.every_s):
            if edge > t:
                return edge
        return cycle_start + self.every_s + self.duration_s  # float rounding put t past both

    def applies(self, contract_id: str, symbol: str, kind: str) -> bool:
        in_contracts = self.contracts is None or bool({contract_id, symbol} & self.contracts)
        return in_contracts and (self.kinds is None or kind in self.kinds)

    def to_json(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "durationS": self.duration_s,
            "startS": self.start_s,
            "everyS": self.every_s,
            "contracts": sorted(self.contracts) if self.contracts is not None else None,
            "events": sorted(self.kinds) if self.kinds is not None else None,
        }


BURST_KEYS = {"factor", "duration", "start", "every", "contracts", "events"}


def parse_burst(raw: abc.Mapping[str, Any], where: str = "burst") -> Burst:
    """``{"factor": 20, "duration": 2, "start"?: 10, "every"?: 60, "contracts"?: [...],
    "events"?: [...]}``, checked (times in seconds)."""
    unknown = sorted(set(raw) - BURST_KEYS)
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {unknown}: expected {sorted(BURST_KEYS)}")
    for key in ("factor", "duration"):
        if key not in raw:
            raise ProfileError(f"{where}: {key!r} is required")
    factor = _bounded(raw["factor"], f"{where}.factor", 0.0, MAX_FACTOR)
    duration = _bounded(raw["duration"], f"{where}.duration", MIN_BURST_S, MAX_TIME_S)
    every = raw.get("every")
    if every is not None:
        every = _bounded(every, f"{where}.every", MIN_BURST_S, MAX_TIME_S)
        if every < duration:
            raise ProfileError(f"{where}.every: must be at least the duration ({duration})")
    kinds = _names(raw.get("events"), f"{where}.events")
    if kinds is not None and not kinds <= set(KINDS):
        raise ProfileError(f"{where}.events: unknown kind(s) {sorted(kinds - set(KINDS))}")
    return Burst(
        factor=factor,
        duration_s=duration,
        start_s=_bounded(raw.get("start", 0.0), f"{where}.start", 0.0, MAX_TIME_S),
        every_s=every,
        contracts=_names(raw.get("contracts"), f"{where}.contracts"),
        kinds=kinds,
    )


def _names(value: Any, where: str) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.replace("+", ",").split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{where}: expected a list of names, got {value!r}")
    names = frozenset(v.strip() for v in value if v.strip())
    if not names:
        raise ProfileError(f"{where}: empty")
    return names


@dataclass(frozen=True, slots=True)
class StreamProfile:
    default: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    overrides: dict[str, dict[str, float]] = field(default_factory=dict)  # contract id or symbol
    bursts: tuple[Burst, ...] = ()

    def base_rate(self, contract_id: str, symbol: str, kind: str) -> float:
        for key in (contract_id, symbol):
            if kind in self.overrides.get(key, {}):
                return self.overrides[key][kind]
        return self.default[kind]

    def rate(self, contract_id: str, symbol: str, kind: str, t: float) -> float:
        rate = self.base_rate(contract_id, symbol, kind)
        for burst in self.bursts:
            if burst.active(t) and burst.applies(contract_id, symbol, kind):
                rate *= burst.factor
        return rate

    def next_edge(self, t: float) -> float:
        return min((b.next_edge(t) for b in self.bursts), default=math.inf)

    def with_rates(self, rates: dict[str, float], key: str | None = None) -> StreamProfile:
        if key is None:
            return replace(self, default={**self.default, **rates})
        return replace(self, overrides={**self.overrides, key: {**self.overrides.get(key, {}), **rates}})

    def with_burst(self, burst: Burst) -> StreamProfile:
        return replace(self, bursts=(*self.bursts, burst))

    def without_bursts(self) -> StreamProfile:
        return replace(self, bursts=())
