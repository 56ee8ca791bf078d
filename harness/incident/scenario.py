"""Scenario files: an incident as a TOML file a person can read and edit, with no Python.

    [scenario]
    title = "The market hub is closed under load and comes back without its depth"
    summary = "What happened, as the postmortem tells it."
    seed = 7                        # the simulator's streams and the run's seed (default 1)
    length = 12.0                   # seconds it runs at least, from subscribed (default: the last step)

    [stream]                        # what the hubs send (every key optional)
    recording = "incident.recording.jsonl"  # a recording the simulator replays (relative to this file)
    speed = 1.0                     # the recording's pace
    rates = { quote = 20, trade = 10, depth = 5 }  # or the generated stream's rates per contract
    bursts = ["factor=8,duration=2,start=3"]        # and bursts (the simulator's --burst)
    contracts = 1                   # how many contracts the client subscribes, or which: ["CON.F.US.MNQ.Z26"]
    streams = ["quotes", "trades", "depth"]
    simulator = ["--token-lifetime", "60"]  # more simulator flags

    [[steps]]                       # the fault timeline: the faults of docs/faults (one vocabulary)
    at = 2.0                        # seconds after the client has subscribed
    fault = "server_close"
    hub = "market"                  # market, user or both
    duration = 1.5                  # optional: cleared after it (never, without)
    params = { error = "Server timeout elapsed", allow_reconnect = true }
    on = "market:connected#2"       # optional: counted from the client's second connect instead
    from = "capture line 41: the server's Close"  # optional: where the step came from

    [invariants]                    # default: every one with its default bound
    recovered = { within_s = 6.0 }
    no_silent_loss = true
    tasks_bounded = false           # left out

A file that is not valid is refused whole, with its path, the line and the reason
(``ScenarioFileError``); nothing runs.
"""

from __future__ import annotations

import argparse
import re
import tomllib
from collections import abc
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from simulator import options
from simulator.projectx.replay import recorded_event

from ..chaos.session import BOUND_OF, INVARIANTS, STREAMS, Bounds
from ..errors import HarnessError
from ..run.timeline import Step, Timeline

TABLES = {"scenario", "stream", "steps", "invariants"}
STEP_KEYS = {"at", "fault", "hub", "duration", "params", "on", "from"}
HUBS = ("market", "user", "both")
# The key a bound is written under in [invariants], per invariant.
BOUND_KEYS = {"recovered": "within_s", "no_silent_stall": "window_s", "tasks_bounded": "at_most",
              "no_deadlock": "within_s"}  # fmt: skip
# Flags the harness sets itself: a file cannot move the simulator or its evidence elsewhere.
OWN_FLAGS = ("--host", "--port", "--seed", "--history-file", "--record", "--replay", "--replay-speed",
             "--replay-start", "--profile", "--control-token")  # fmt: skip


REQUIRED: Any = object()  # ``_Reader.value``'s default for a key that must be there


class ScenarioFileError(HarnessError):
    """A scenario file that cannot be run: ``path:line: reason``."""


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    path: Path
    title: str
    timeline: Timeline
    summary: str = ""
    seed: int = 1
    length_s: float = 0.0
    recording: Path | None = None
    speed: float = 1.0
    generated: tuple[str, ...] = ()  # simulator flags for the generated stream's rates and bursts
    contracts: int | tuple[str, ...] = 1  # how many of the simulator's, or which
    streams: tuple[str, ...] = STREAMS
    simulator: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()  # per step: where it came from ("" when not said)
    invariants: tuple[str, ...] = tuple(INVARIANTS)
    bounds: Bounds = field(default_factory=Bounds)

    @property
    def name(self) -> str:
        return self.path.stem

    def simulator_flags(self) -> list[str]:
        flags = [*self.generated, *self.simulator]
        if self.recording is not None:
            flags += ["--replay", str(self.recording), "--replay-speed", str(self.speed)]
            flags += ["--replay-start", "on-request"]
        return flags


def load(path: Path) -> ScenarioFile:
    """The scenario in ``path``, checked whole; ``ScenarioFileError`` naming the line otherwise."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioFileError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        body = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioFileError(f"{path}: not TOML: {exc}") from None
    return _Reader(path, text).scenario(body)


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, where: tuple[str | int, ...], reason: str) -> ScenarioFileError:
        return ScenarioFileError(f"{self.path}:{self.line_of(where)}: {reason}")

    def line_of(self, where: tuple[str | int, ...]) -> int:
        """The line of ``where`` (table, [index], [key]): the key's line in its table, else the
        table's header, else 1."""
        table, rest = str(where[0]), list(where[1:])
        index = rest.pop(0) if rest and isinstance(rest[0], int) else None
        key = str(rest[0]) if rest else None
        seen, found, inside = -1, 0, False
        for number, line in enumerate(self.lines, 1):
            header = re.match(r"\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]", line)
            if header:
                name = header.group(2)
                if name == table:
                    seen += 1
                    inside = index is None or seen == index
                    if inside:
                        found = number
                else:
                    inside = False
                continue
            if inside and key is not None and re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
                return number
            if key is None and found:
                return found
            if not header and index is None and table not in TABLES and re.match(rf"\s*{table}\s*=", line):
                return number
        return found or 1

    def scenario(self, body: dict[str, Any]) -> ScenarioFile:
        for name in body:
            if name not in TABLES:
                raise self.fail(
                    (name,), f"unknown table or key {name!r}: expected {', '.join(sorted(TABLES))}"
                )
        head = self.table(body, "scenario", {"title", "summary", "seed", "length"})
        title = self.value(head, ("scenario", "title"), str, REQUIRED)
        if not title.strip():
            raise self.fail(("scenario", "title"), "title: say in a line what happened")
        seed = self.value(head, ("scenario", "seed"), int, 1)
        if seed < 0:
            raise self.fail(("scenario", "seed"), "seed: 0 or more")
        length = float(self.value(head, ("scenario", "length"), (int, float), 0.0))
        if length < 0:
            raise self.fail(("scenario", "length"), "length: seconds, 0 or more")
        steps, provenance = self.steps(body.get("steps", []))
        try:
            timeline = Timeline(seed, steps)
        except ValueError as exc:  # two steps Toxiproxy cannot play in that order
            raise self.fail(("steps", len(steps) - 1), str(exc)) from None
        scenario = ScenarioFile(
            self.path,
            title.strip(),
            timeline,
            summary=self.value(head, ("scenario", "summary"), str, "").strip(),
            seed=seed,
            length_s=length,
            provenance=tuple(provenance),
        )
        return self.invariants(self.stream(scenario, body), body)

    def table(self, body: dict[str, Any], name: str, keys: set[str]) -> dict[str, Any]:
        table = body.get(name, {})
        if not isinstance(table, dict):
            raise self.fail((name,), f"[{name}] must be a table")
        for key in table:
            if key not in keys:
                raise self.fail((name, key), f"[{name}] has no {key!r}: expected {', '.join(sorted(keys))}")
        return table

    def value(self, table: dict[str, Any], where: tuple[str | int, ...], kind: Any, default: Any) -> Any:
        key = str(where[-1])
        if key not in table:
            if default is REQUIRED:
                raise self.fail(where[:-1], f"{key} is missing")
            return default
        value = table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.fail(where, f"{key} must be {names}, not {value!r}")
        return value

    def steps(self, raw: Any) -> tuple[list[Step], list[str]]:
        if not isinstance(raw, list):
            raise self.fail(("steps",), "steps must be [[steps]] tables")
        steps, provenance = [], []
        for i, step in enumerate(raw):
            where: tuple[str | int, ...] = ("steps", i)
            if not isinstance(step, dict):
                raise self.fail(where, "each step is a [[steps]] table")
            for key in step:
                if key not in STEP_KEYS:
                    raise self.fail(
                        (*where, key), f"a step has no {key!r}: expected {', '.join(sorted(STEP_KEYS))}"
                    )
            at = float(self.value(step, (*where, "at"), (int, float), REQUIRED))
            duration = self.value(step, (*where, "duration"), (int, float), None)
            hub = self.value(step, (*where, "hub"), str, REQUIRED)
            if at < 0 or (duration is not None and duration <= 0) or hub not in HUBS:
                raise self.fail(where, f"step {i + 1}: at 0 or more, duration above 0, hub one of {HUBS}")
            fault = self.value(step, (*where, "fault"), str, REQUIRED)
            params = dict(self.value(step, (*where, "params"), dict, {}))
            on = self.value(step, (*where, "on"), str, None)
            one = Step(at, fault, hub, None if duration is None else float(duration), params, on)
            try:
                Timeline(0, [one])  # the fault's name and parameters, the event's form
            except ValueError as exc:  # FaultError is one
                raise self.fail((*where, "fault"), f"step {i + 1}: {exc}") from None
            steps.append(one)
            provenance.append(self.value(step, (*where, "from"), str, ""))
        return steps, provenance

    def stream(self, scenario: ScenarioFile, body: dict[str, Any]) -> ScenarioFile:
        keys = {"recording", "speed", "rates", "bursts", "contracts", "streams", "simulator"}
        table = self.table(body, "stream", keys)
        recording = self.file(table, "recording")
        generated = self.generated(table)
        if recording is not None and generated:
            raise self.fail(("stream", "rates"), "a recording, or rates and bursts: not both")
        speed = float(self.value(table, ("stream", "speed"), (int, float), 1.0))
        contracts = self.value(table, ("stream", "contracts"), (int, list), 1)
        if isinstance(contracts, list):
            if not contracts or not all(isinstance(c, str) and c for c in contracts):
                raise self.fail(("stream", "contracts"), "contracts: a number, or contract ids")
            contracts = tuple(contracts)
        streams = tuple(self.value(table, ("stream", "streams"), list, list(STREAMS)))
        flags = tuple(self.value(table, ("stream", "simulator"), list, []))
        if speed <= 0 or (isinstance(contracts, int) and contracts < 1):
            raise self.fail(("stream",), "speed above 0, contracts 1 or more")
        if not set(streams) <= set(STREAMS) or len(set(streams)) != len(streams):
            raise self.fail(("stream", "streams"), f"streams: some of {', '.join(STREAMS)}, each once")
        if not all(isinstance(f, str) for f in flags):
            raise self.fail(("stream", "simulator"), "simulator: a list of strings (flags and values)")
        taken = [f for f in flags if f.split("=")[0] in OWN_FLAGS]
        if taken:
            raise self.fail(("stream", "simulator"), f"simulator: {', '.join(taken)} is set by the harness")
        if recording is not None:
            _check_recording(recording, lambda reason: self.fail(("stream", "recording"), reason))
        return replace(
            scenario,
            recording=recording,
            generated=generated,
            speed=speed,
            contracts=contracts,
            streams=streams,
            simulator=flags,
        )

    def generated(self, table: dict[str, Any]) -> tuple[str, ...]:
        """The simulator flags for ``rates`` (per contract and second) and ``bursts``."""
        rates = self.value(table, ("stream", "rates"), dict, {})
        flags: list[str] = []
        for kind, rate in rates.items():
            if kind not in ("quote", "trade", "depth") or not isinstance(rate, int | float) or rate < 0:
                raise self.fail(("stream", "rates"), "rates: quote, trade and depth, each 0 or more a second")
            flags += [f"--{kind}-rate", f"{rate:g}"]
        for burst in self.value(table, ("stream", "bursts"), list, []):
            try:
                options.burst(burst if isinstance(burst, str) else "")
            except argparse.ArgumentTypeError as exc:
                raise self.fail(("stream", "bursts"), f"bursts: {burst!r}: {exc}") from None
            flags += ["--burst", burst]
        return tuple(flags)

    def file(self, table: dict[str, Any], key: str) -> Path | None:
        name: str = self.value(table, ("stream", key), str, "")
        if not name:
            return None
        path = (self.path.parent / name).resolve()
        if not path.is_file():
            raise self.fail(("stream", key), f"{key}: no file {path}")
        return path

    def invariants(self, scenario: ScenarioFile, body: dict[str, Any]) -> ScenarioFile:
        table = self.table(body, "invariants", set(INVARIANTS))
        if not table:
            return scenario
        chosen, bounds = [], Bounds()
        for name, setting in table.items():
            where = ("invariants", name)
            if setting is True:
                chosen.append(name)
            elif isinstance(setting, dict) and name in BOUND_KEYS and set(setting) == {BOUND_KEYS[name]}:
                bound = setting[BOUND_KEYS[name]]
                if not isinstance(bound, int | float) or isinstance(bound, bool) or bound <= 0:
                    raise self.fail(where, f"{name}: {BOUND_KEYS[name]} must be a number above 0")
                bounds = replace(bounds, **{BOUND_OF[name]: type(getattr(bounds, BOUND_OF[name]))(bound)})
                chosen.append(name)
            elif setting is not False:
                shape = f"{{ {BOUND_KEYS[name]} = N }}, " if name in BOUND_KEYS else ""
                raise self.fail(where, f"{name}: true, {shape}or false")
        if not chosen:
            raise self.fail(("invariants",), "every invariant is off: nothing would be judged")
        return replace(scenario, invariants=tuple(n for n in INVARIANTS if n in chosen), bounds=bounds)


def _check_recording(path: Path, fail: abc.Callable[[str], ScenarioFileError]) -> None:
    """Every line a recorded event, as the simulator's replay reads it (what it would stop on,
    found now)."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    recorded_event(line, number)
                except ValueError as exc:
                    raise fail(f"{path.name} {exc}") from None
