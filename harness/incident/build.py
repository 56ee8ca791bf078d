"""A capture (``python -m harness.capture``) made into a scenario file and the recording it plays.

What the hubs sent becomes a recording the simulator's ``--replay`` plays (each stream event at its
captured time); how each connection ended becomes a fault step at the same moment, with the capture
line it came from:

- the server's Close record: ``server_close`` with the same error and allowReconnect;
- the server's side dropped with no Close (a reset, the TCP end, a bare WebSocket close):
  ``server_abort`` (``reset`` true for a reset);
- the server silent for longer than the capture's threshold: ``partition`` (data held) for as long
  when the stream went on after it, ``half_open`` for as long when the connection died in it;
- negotiate or the upgrade answered 401: ``expire_tokens`` when the connection before it ended;
- another error status: ``server:negotiate_status`` / ``server:upgrade_status`` with that status,
  until one succeeded; the upstream not reached at all: ``refuse`` until it was.

Times count from the client's first subscription (a scenario's clock starts once its client has
subscribed). The client's own closes are its doing, not a fault: they are left out. Both files are
written whole or not at all.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from simulator.projectx.catalog import PRODUCTS

from ..chaos.session import BOUND_OF, INVARIANTS, STREAMS, TARGETS, Bounds
from ..errors import HarnessError
from ..infra.gateway import SCALED_FLAGS, STREAM_METHODS, USER_TARGETS
from ..run.timeline import Step, crossing
from .scenario import BOUND_KEYS, ScenarioFileError, load

SCALED_SYMBOLS = SCALED_FLAGS[SCALED_FLAGS.index("--symbols") + 1].split(",")  # what scenarios list
SUBSCRIBE = {f"Subscribe{method}": stream for stream, method in STREAM_METHODS.items()}


class CaptureError(HarnessError):
    """A capture that cannot be built: a line that is not a capture entry (``path line N: reason``),
    or an output that exists or has no directory."""


@dataclass(slots=True)
class Built:
    scenario: Path
    recording: Path
    steps: int
    events: int
    notes: list[str] = field(default_factory=list)  # what was left out, and why
    stream: str = "recording"  # or "generated": the recording stops short (``_starved``)


@dataclass(slots=True)
class _Step:
    at: float
    fault: str
    hub: str
    line: int
    why: str
    duration: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def step(self) -> Step:
        return Step(round(self.at, 3), self.fault, self.hub, self.duration, self.params)


def read(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The capture's entries with their line numbers; ``CaptureError`` for anything else."""
    try:
        raw = path.read_bytes().splitlines()
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    entries = []
    for number, line in enumerate(raw, 1):
        if not line.strip():
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise CaptureError(f"{path} line {number}: not JSON") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("t"), int | float) or "kind" not in entry:
            raise CaptureError(f"{path} line {number}: not a capture entry (t, kind)")
        entries.append((number, entry))
    if not entries or entries[0][1]["kind"] != "capture" or entries[0][1].get("version") != 1:
        raise CaptureError(
            f"{path} line 1: not a capture (version 1): take one with python -m harness.capture"
        )
    return entries


def build(capture: Path, out: Path, *, title: str | None = None, force: bool = False) -> Built:
    entries = read(capture)
    recording = out.with_name(f"{out.stem}.recording.jsonl")
    if not out.parent.is_dir():
        raise CaptureError(f"{out.parent} is not a directory")
    for path in (out, recording):
        if path.exists() and not force:
            raise CaptureError(f"{path} exists: choose another -o, or --force")
    ready = _ready(entries)
    events = _events(entries, ready)
    steps = _Steps(ready)
    for line, entry in entries:
        steps.see(line, entry)
    kept = steps.done()
    contracts, streams = _subscriptions(entries)
    symbols = sorted({c.split(".")[3] for c in contracts if c.count(".") == 4})
    unknown = [s for s in symbols if s not in PRODUCTS]
    if unknown:
        steps.notes.append(
            f"contracts of {', '.join(unknown)}: the simulator lists none, their events are skipped"
        )
    length_s = max(0.0, max(e["t"] for _, e in entries) - ready)
    starved = _starved(events, length_s)
    rates = _rates(events) if starved else None
    if starved:
        steps.notes.append(
            f"the recording stops short ({'; '.join(starved)}): it holds only what this client received, "
            f"so a client that asks again would get nothing. The scenario streams generated data at the "
            f"captured rates instead; the recording is kept beside it"
        )
    header = entries[0][1]
    draft = _Draft(
        title=title or _title(kept),
        summary=(
            f"Built from {capture.name}, captured {header.get('started', '?')} in front of "
            f"{header.get('upstream', '?')}: {len(kept)} fault step(s) from how its connections ended."
        ),
        steps=kept,
        recording=recording.name,
        contracts=contracts,
        streams=streams,
        length_s=length_s,
        symbols=[s for s in symbols if s in PRODUCTS],
        rates=rates,
    )
    _write_both(out, draft.toml(), recording, b"".join(orjson.dumps(e) + b"\n" for e in events))
    try:
        load(out)  # what was written reads back as a valid scenario (or neither file stays)
    except ScenarioFileError:
        out.unlink(missing_ok=True)
        recording.unlink(missing_ok=True)
        raise
    return Built(out, recording, len(kept), len(events), steps.notes, "generated" if rates else "recording")


def _starved(events: list[dict[str, Any]], end_s: float) -> list[str]:
    """The market streams whose events end long before the capture does: the client stopped getting
    them (it lost its subscriptions and never asked again, say). A recording holds only what the
    client received, so it cannot give a fixed client what this one never asked for."""
    times: dict[tuple[str, str], list[float]] = {}
    for e in events:
        if e["hub"] == "market":
            times.setdefault((e["target"], e["key"]), []).append(e["t"])
    starved = []
    for (target, key), ts in sorted(times.items()):
        gaps = sorted(b - a for a, b in itertools.pairwise(ts)) or [1.0]
        if end_s - ts[-1] > max(3.0, 10 * gaps[len(gaps) // 2]):
            starved.append(f"{target} {key} ends at {ts[-1]:.1f} s of {end_s:.1f} s")
    return starved


def _rates(events: list[dict[str, Any]]) -> dict[str, float]:
    """The simulator's rates (per contract, per second) that give the captured market streams'
    pace: a price step is a quote and a depth change, a trade a trade and a depth change."""
    per_s: dict[str, list[float]] = {}
    for target in ("GatewayQuote", "GatewayTrade", "GatewayDepth"):
        keys = {e["key"] for e in events if e["target"] == target}
        for key in keys:
            ts = [e["t"] for e in events if e["target"] == target and e["key"] == key]
            span = ts[-1] - ts[0]
            if len(ts) > 1 and span > 0:
                per_s.setdefault(target, []).append((len(ts) - 1) / span)
    mean = {t: sum(v) / len(v) for t, v in per_s.items()}
    quote, trade = mean.get("GatewayQuote", 0.0), mean.get("GatewayTrade", 0.0)
    depth = max(0.0, mean.get("GatewayDepth", 0.0) - quote - trade)
    return {"quote": round(quote, 1), "trade": round(trade, 1), "depth": round(depth, 1)}


def _ready(entries: list[tuple[int, dict[str, Any]]]) -> float:
    """When the client first asked for data: the clock of the scenario starts there."""
    for _, e in entries:
        if (
            e["kind"] == "record"
            and e.get("from") == "client"
            and str(e.get("target", "")).startswith("Subscribe")
        ):
            return float(e["t"])
    opened = [e["t"] for _, e in entries if e["kind"] == "open" and e.get("status") == 101]
    return float(opened[0]) if opened else 0.0


def _events(entries: list[tuple[int, dict[str, Any]]], ready: float) -> list[dict[str, Any]]:
    """The stream events the hubs sent, as the simulator records them (``t`` from ``ready``)."""
    events = []
    for _, e in entries:
        if e["kind"] != "record" or e.get("from") != "server" or e.get("type") != "invocation":
            continue
        target, arguments = e.get("target"), e.get("arguments")
        if not isinstance(arguments, list) or not arguments or e["t"] < ready:
            continue
        if target in TARGETS.values() and len(arguments) == 2:
            key = str(arguments[0])
        elif target in USER_TARGETS and isinstance(arguments[0], dict) and "accountId" in arguments[0]:
            key = str(arguments[0]["accountId"])
        else:
            continue
        t = round(e["t"] - ready, 6)
        events.append({"t": t, "hub": e["hub"], "target": target, "key": key, "arguments": arguments})
    return events


class _Steps:
    """The fault steps a capture's lifecycle entries say, seen in order."""

    def __init__(self, ready: float) -> None:
        self.ready = ready
        self.steps: list[_Step] = []
        self.notes: list[str] = []  # what was left out, and why
        self.last_close: dict[str, float] = {}  # hub -> when its last connection ended
        self.refused: dict[str, _Step] = {}  # hub -> the refusal step still open

    def see(self, line: int, e: dict[str, Any]) -> None:
        kind, hub, t = e["kind"], str(e.get("hub", "")), float(e["t"]) - self.ready
        if kind == "close":
            self.last_close[hub] = t
            self.close(line, e, t)
        elif kind == "silence":
            self.silence(line, e, t)
        elif kind in ("negotiate", "open"):
            self.answer(line, e, t)

    def close(self, line: int, e: dict[str, Any], t: float) -> None:
        hub, conn, how = str(e["hub"]), e.get("conn"), e.get("how")
        if e.get("by") != "server":
            self.notes.append(f"line {line}: {e.get('by')} closed {conn}: not the server's doing, no step")
        elif how == "close_message":
            allow = bool(e.get("allow_reconnect"))
            said = f"error {e.get('error')!r}" if e.get("error") else "no error"
            why = f"{conn}: the server's Close ({said}, allowReconnect {str(allow).lower()})"
            params = {"error": e.get("error"), "allow_reconnect": allow}
            self.steps.append(_Step(t, "server_close", str(hub), line, why, None, params))
        else:
            said = {"reset": "a TCP reset", "eof": "the TCP connection ended"}.get(
                str(how), f"a WebSocket close {e.get('code')} with no Close record"
            )
            why = f"{conn}: dropped on the server's side: {said}"
            self.steps.append(_Step(t, "server_abort", hub, line, why, None, {"reset": how == "reset"}))

    def silence(self, line: int, e: dict[str, Any], t: float) -> None:
        died = e.get("ended") != "record"
        lasted = float(e["lasted_s"])
        what = "and the connection died in it" if died else "then the stream went on"
        why = f"{e.get('conn')}: the server silent for {lasted:.1f} s, {what}"
        fault, params = (
            ("half_open", {"direction": "downstream"}) if died else ("partition", {"heal": "hold"})
        )
        self.steps.append(_Step(t, fault, str(e["hub"]), line, why, lasted, params))

    def answer(self, line: int, e: dict[str, Any], t: float) -> None:
        """A refused negotiate or upgrade opens a refusal step for its hub; the next success ends it."""
        status, kind, hub = e.get("status"), e["kind"], str(e["hub"])
        if status in (200, 101) and not e.get("error"):
            step = self.refused.pop(hub, None)
            if step is not None:
                step.duration = max(0.1, t - step.at)
            return
        if hub in self.refused:
            return
        if status == 401:
            why = f"{kind} on {hub} answered 401 (its token had expired)"
            self.steps.append(_Step(self.last_close.get(hub, t), "expire_tokens", "user", line, why))
            return
        if e.get("error") or status == 502:
            why = f"{kind} on {hub}: the upstream not reached ({e.get('error') or 'bad gateway'})"
            step = _Step(t, "refuse", hub, line, why)
        else:
            fault = "server:negotiate_status" if kind == "negotiate" else "server:upgrade_status"
            step = _Step(t, fault, hub, line, f"{kind} on {hub} answered {status}", None, {"status": status})
        self.refused[hub] = step
        self.steps.append(step)

    def done(self) -> list[_Step]:
        """The steps a scenario can play, in time order (the others noted)."""
        for hub, step in self.refused.items():
            self.notes.append(f"line {step.line}: {hub} was still refused when the capture ended")
        kept: list[_Step] = []
        for step in sorted(self.steps, key=lambda s: s.at):
            if step.at < 0:
                self.notes.append(f"line {step.line}: before the client subscribed, left out: {step.why}")
            elif crossing([s.step() for s in [*kept, step]]) is not None:
                self.notes.append(
                    f"line {step.line}: Toxiproxy cannot end a fault under it, left out: {step.why}"
                )
            else:
                kept.append(step)
        return kept


def _subscriptions(entries: list[tuple[int, dict[str, Any]]]) -> tuple[list[str], list[str]]:
    """The contracts and market streams the client subscribed, in first-seen order."""
    contracts: list[str] = []
    streams: list[str] = []
    for _, e in entries:
        if e["kind"] == "record" and e.get("from") == "client" and e.get("target") in SUBSCRIBE:
            arguments = e.get("arguments") or []
            if arguments and isinstance(arguments[0], str) and arguments[0] not in contracts:
                contracts.append(arguments[0])
            if SUBSCRIBE[e["target"]] not in streams:
                streams.append(SUBSCRIBE[e["target"]])
    return contracts, streams


def _title(steps: list[_Step]) -> str:
    if not steps:
        return "A captured session with no fault on its connections"
    names = list(dict.fromkeys(f"{s.fault} ({s.hub})" for s in steps))
    return f"Captured: {', '.join(names[:4])}{' and more' if len(names) > 4 else ''}"


@dataclass(frozen=True, slots=True)
class _Draft:
    title: str
    summary: str
    steps: list[_Step]
    recording: str
    contracts: list[str]
    streams: list[str]
    length_s: float
    symbols: list[str]  # the products of the captured contracts, listed by the simulator too
    rates: dict[str, float] | None = None  # a generated stream instead of the recording

    def toml(self) -> str:
        out = [
            "# Built by python -m harness.incident build: edit freely (docs/incidents.md).",
            "[scenario]",
            f"title = {_q(self.title)}",
            f"summary = {_q(self.summary)}",
            f"length = {self.length_s:.1f}",
            "",
            "[stream]",
            *(
                [f"recording = {_q(self.recording)}"]
                if self.rates is None
                else [
                    f"# recording = {_q(self.recording)}  # stops short: see what build printed",
                    "rates = { " + ", ".join(f"{k} = {v:g}" for k, v in self.rates.items()) + " }",
                ]
            ),
            f"contracts = [{', '.join(_q(c) for c in self.contracts)}]"
            if self.contracts
            else "contracts = 1",
            f"streams = [{', '.join(_q(s) for s in self.streams or STREAMS)}]",
        ]
        if self.symbols and set(self.symbols) != set(SCALED_SYMBOLS):  # the captured contracts listed
            out.append(f'simulator = ["--symbols", {_q(",".join(self.symbols))}]')
        for s in self.steps:
            out += ["", "[[steps]]", f"at = {s.at:.3f}", f"fault = {_q(s.fault)}", f"hub = {_q(s.hub)}"]
            if s.duration is not None:
                out.append(f"duration = {s.duration:.3f}")
            pairs = ", ".join(f"{k} = {_value(v)}" for k, v in s.params.items() if v is not None)
            if pairs:
                out.append(f"params = {{ {pairs} }}")
            out.append(f"from = {_q(f'capture line {s.line}: {s.why}')}")
        out += ["", "[invariants]"]
        defaults = Bounds()
        for name in INVARIANTS:
            if name in BOUND_OF:
                out.append(f"{name} = {{ {BOUND_KEYS[name]} = {getattr(defaults, BOUND_OF[name]):g} }}")
            else:
                out.append(f"{name} = true")
        return "\n".join(out) + "\n"


def _q(text: str) -> str:
    return orjson.dumps(text).decode()  # a JSON string is a TOML basic string


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _q(value) if isinstance(value, str) else str(value)


def _write_both(out: Path, body: str, recording: Path, events: bytes) -> None:
    """Both files in full, or neither: each written beside its target, then renamed over it."""
    written: list[tuple[str, Path]] = []
    try:
        for data, target in ((events, recording), (body.encode(), out)):
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            written.append((tmp, target))
        for tmp, target in written:
            os.replace(tmp, target)
    finally:
        for tmp, _ in written:
            Path(tmp).unlink(missing_ok=True)
