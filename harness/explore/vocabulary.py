"""What an exploration may do to a client, and how Hypothesis draws it.

An ``Example`` is one run's whole script: how many contracts the client streams, the callbacks it
registers before connecting (one that raises, one that sleeps), the fault steps (network faults
per hub through Toxiproxy, server faults through the simulator) and client actions (a stream
unsubscribed, then subscribed again). Every choice is drawn so that Hypothesis shrinks it the way a
person would simplify a repro: fewer steps, shorter faults, earlier times, fewer contracts, smaller
parameters (integers shrink towards their lower bound, choices towards the first listed; times
are whole tenths of a second).

``MOVES`` is the vocabulary, one entry per fault name of ``harness/faults`` (and ``churn``, the
client action); ``--explore-faults a,b`` narrows it.
"""

from __future__ import annotations

from collections import abc
from dataclasses import asdict, dataclass, field
from typing import Any

from hypothesis import strategies as st

from ..chaos.session import STREAMS
from ..errors import HarnessError
from ..faults import fault_named
from ..run.timeline import Step, Timeline, crossing

HUBS = ("market", "user", "both")  # simplest first: what Hypothesis shrinks towards
CALLBACK_KINDS = ("quote", "trade", "order")
CALLBACK_BEHAVIOURS = ("raise", "sleep")

MAX_STEPS = 4
MAX_ACTIONS = 2
MAX_CONTRACTS = 2  # the scaled simulator lists MNQ and MES


def tenths(low: int, high: int) -> st.SearchStrategy[float]:
    """Seconds in whole tenths, shrinking towards ``low``."""
    return st.integers(low, high).map(lambda n: n / 10)


@dataclass(frozen=True, slots=True)
class Move:
    """One kind of step: a fault of the registry (``fault``), on which hubs, with which parameters
    drawn how, and for how long (``lasts``, tenths of a second; None: applied once and left, as a
    Close message or a token expiry is)."""

    fault: str
    describes: str
    hubs: tuple[str, ...] = HUBS
    params: abc.Mapping[str, st.SearchStrategy[Any]] = field(default_factory=dict)
    lasts: tuple[int, int] | None = (3, 30)

    @property
    def network(self) -> bool:
        """A Toxiproxy fault (one toxic of its name per proxy), not the simulator's."""
        return fault_named(self.fault, {}).layer == "network"

    def steps(self) -> st.SearchStrategy[Step]:
        params = st.fixed_dictionaries(dict(self.params))
        duration = st.none() if self.lasts is None else tenths(*self.lasts)
        return st.builds(
            Step,
            at_s=tenths(0, 40),
            fault=st.just(self.fault),
            hub=st.sampled_from(self.hubs),
            duration_s=duration,
            params=params,
        )


MOVES: dict[str, Move] = {
    move.fault: move
    for move in (
        Move(
            "partition",
            "both directions silent, sockets open",
            params={"heal": st.sampled_from(["hold", "drop"])},
        ),
        Move("half_open", "server->client silent, no FIN or RST"),
        Move("reset", "TCP RST on the next server bytes", lasts=(1, 10)),
        Move("latency", "each direction delayed", params={"ms": st.integers(20, 1500)}),
        Move("bandwidth", "server->client starved to a few KB/s", params={"kbps": st.integers(1, 64)}),
        Move(
            "slicer",
            "server bytes in small pieces",
            params={"size": st.integers(1, 64), "delay_us": st.just(10)},
        ),
        Move(
            "cut_after", "the connection cut after N server bytes", params={"bytes": st.integers(200, 20_000)}
        ),
        Move("refuse", "the hub down: connections closed and refused"),
        Move(
            "server_close",
            "a Close message that allows a reconnect",
            params={
                "error": st.sampled_from([None, "Server shutting down"]),
                "allow_reconnect": st.just(True),
            },
            lasts=None,
        ),
        Move(
            "server_abort",
            "every connection dropped without a Close",
            params={"reset": st.booleans()},
            lasts=None,
        ),
        Move("expire_tokens", "every token the Gateway issued expires now", hubs=("market",), lasts=None),
        Move(
            "burst",
            "market rates multiplied",
            hubs=("market",),
            params={"factor": st.integers(2, 40), "duration": tenths(5, 20)},
            lasts=None,
        ),
        Move("server:stop_pings", "the server stops its keep-alive pings"),
        Move("server:duplicate_messages", "every invocation sent twice", lasts=(3, 20)),
        Move(
            "server:split_frames",
            "records split across WebSocket frames",
            params={"size": st.integers(1, 64)},
        ),
        Move("server:hub_down", "the hub closed, then 503 to every attempt"),
    )
}
CHURN = "churn"  # the client action: a stream unsubscribed, subscribed again after a while
NAMES = (*MOVES, CHURN)


@dataclass(frozen=True, slots=True)
class Action:
    """A client action during the run: ``churn`` unsubscribes ``stream`` of the ``contract``-th
    contract at ``at_s`` and subscribes it again ``duration_s`` later."""

    at_s: float
    do: str
    stream: str
    contract: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class Example:
    """One generated run (see the module docstring); ``seed`` seeds the simulator's market data."""

    seed: int
    contracts: int
    callbacks: tuple[tuple[str, str], ...]
    steps: tuple[Step, ...]
    actions: tuple[Action, ...] = ()

    @property
    def end_s(self) -> float:
        """When the last fault clears or the last action completes."""
        ends = [s.at_s + (s.duration_s or 0.0) for s in self.steps]
        ends += [a.at_s + a.duration_s for a in self.actions]
        return max(ends, default=0.0)

    def describe(self) -> str:
        """One line: ``2 contracts; raise on quote; 1.2s partition market 2.0s {heal=drop}; ...``."""
        parts = [f"{self.contracts} contract{'s' if self.contracts > 1 else ''}"]
        parts += [f"{does} on {kind}" for kind, does in self.callbacks]
        for s in self.steps:
            params = " ".join(f"{k}={v}" for k, v in s.params.items())
            lasting = f" {s.duration_s:g}s" if s.duration_s is not None else ""
            parts.append(f"{s.at_s:g}s {s.fault} {s.hub}{lasting}{f' ({params})' if params else ''}")
        parts += [f"{a.at_s:g}s {a.do} {a.stream}#{a.contract} {a.duration_s:g}s" for a in self.actions]
        return "; ".join(parts if self.steps or self.actions else [*parts, "no fault"])

    def to_json(self) -> dict[str, Any]:
        """A timeline file (``Timeline.from_json`` reads its seed and steps) with the rest beside."""
        return {
            "seed": self.seed,
            "steps": [asdict(s) for s in self.steps],
            "explore": {
                "contracts": self.contracts,
                "callbacks": [list(c) for c in self.callbacks],
                "actions": [asdict(a) for a in self.actions],
            },
        }

    @classmethod
    def from_json(cls, body: abc.Mapping[str, Any]) -> Example:
        """Back from ``to_json`` (a ``KeyError``/``TypeError``/``ValueError`` for a file that is not one)."""
        extra = body["explore"]
        timeline = Timeline.from_json(dict(body))  # checks every fault name and parameter
        return cls(
            timeline.seed,
            int(extra["contracts"]),
            tuple((str(k), str(d)) for k, d in extra["callbacks"]),
            tuple(timeline.steps),
            tuple(Action(**a) for a in extra["actions"]),
        )

    def timeline(self) -> Timeline:
        return Timeline(self.seed, list(self.steps))


def narrow(names: abc.Iterable[str] | None) -> tuple[str, ...]:
    """The vocabulary a run may use: every name, or those given (``HarnessError`` naming an unknown one)."""
    if names is None:
        return NAMES
    chosen = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in chosen if n not in NAMES]
    if unknown or not chosen:
        raise HarnessError(
            f"--explore-faults: unknown {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(NAMES)}"
        )
    return chosen


def examples(seed: int, names: abc.Sequence[str] = NAMES) -> st.SearchStrategy[Example]:
    """Examples using only ``names`` (fault names of ``MOVES`` and ``churn``)."""
    faults = [MOVES[n].steps() for n in names if n in MOVES]
    steps = (
        st.lists(st.one_of(faults), min_size=1, max_size=MAX_STEPS).map(lambda s: tuple(sorted(s, key=_when)))
        if faults
        else st.just(())
    )
    churn = st.builds(
        Action,
        at_s=tenths(0, 40),
        do=st.just(CHURN),
        stream=st.sampled_from(STREAMS),
        contract=st.integers(0, MAX_CONTRACTS - 1),
        duration_s=tenths(1, 20),
    )
    actions = st.lists(churn, max_size=MAX_ACTIONS).map(tuple) if CHURN in names else st.just(())
    callbacks = st.lists(
        st.tuples(st.sampled_from(CALLBACK_KINDS), st.sampled_from(CALLBACK_BEHAVIOURS)),
        max_size=2,
        unique_by=lambda c: c[0],
    ).map(tuple)
    return st.builds(
        Example,
        seed=st.just(seed),
        contracts=st.integers(1, MAX_CONTRACTS),
        callbacks=callbacks,
        steps=steps,
        actions=actions,
    ).map(_fit)


def _when(step: Step) -> tuple[float, str, str]:
    return (step.at_s, step.fault, step.hub)


def _fit(example: Example) -> Example:
    """A churn action names a contract the example streams; a network fault is not applied to a
    hub that already has the same one (the proxy holds one toxic of a name), nor so that another
    would be cleared in front of it while it holds the link's data (``timeline.crossing``: Toxiproxy
    hangs): such a step is dropped."""
    actions = tuple(
        Action(a.at_s, a.do, a.stream, a.contract % example.contracts, a.duration_s) for a in example.actions
    )
    steps: list[Step] = []
    for step in example.steps:
        overlaps = any(
            kept.fault == step.fault
            and set(kept.hubs()) & set(step.hubs())
            and kept.at_s <= step.at_s < kept.at_s + (kept.duration_s or float("inf"))
            for kept in steps
        )
        if not (overlaps and MOVES[step.fault].network) and crossing([*steps, step]) is None:
            steps.append(step)
    return Example(example.seed, example.contracts, example.callbacks, tuple(steps), actions)
