"""What a run's history says happened, in the shapes a page draws: pure functions of a ``RunHistory``.

- ``state_spans``: each client's state per hub over time (a herd's clients apart: ``client_index``);
- ``moments``: when the client lost a hub, got it back or gave up, with its own reason and how long
  after the fault that preceded it (detection and recovery, as a person asks about them);
- ``rates``: messages per second the server sent and the client received, per hub;
- ``losses``: what the client reported lost (its gaps), placed where the messages were sent, and
  (for clients that expose sequence numbers) the quotes it says it coalesced and what it neither
  received nor reported;
- ``flows``: per hub, how many were sent, received, reported lost, coalesced and neither;
- ``metric_series``: the client's sampled metrics (queue, tasks, loop lag, RTT) over time.
"""

from __future__ import annotations

from collections import abc, defaultdict
from dataclasses import dataclass
from typing import Any

from ...infra.gateway import hub_of
from ..history import FaultSpan, RunHistory

HUBS = ("user", "market")
METRICS = {
    "queued": "queued events",
    "tasks": "tasks",
    "loop_lag_ms": "loop lag (ms)",
    "heartbeat_rtt_ms": "heartbeat RTT (ms)",
    "callbacks": "callbacks",
}
SETTLE_S = 1.0  # what was sent this close to the end may still be on its way (as no_silent_loss says)


def bounds(history: RunHistory) -> tuple[float, float]:
    """The run's first and last moment: the client's events and the faults (requests and the
    server's sends fall inside them)."""
    times = [e["t"] for e in history.client] + [f["t"] for f in history.faults]
    if not times:
        times = [e["t"] for e in history.server] or [0.0]
    return min(times), max(times)


def end_of(history: RunHistory) -> float:
    return float(history.meta.get("end") or bounds(history)[1])


@dataclass(frozen=True, slots=True)
class StateSpan:
    client: int
    hub: str
    state: str
    start: float
    end: float
    reason: str | None


def state_changes(history: RunHistory) -> dict[tuple[int, str], list[dict[str, Any]]]:
    lanes: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for e in history.client_events("state"):
        lanes[(int(e.get("client_index", 0)), e["hub"])].append(e)
    return dict(sorted(lanes.items()))


def state_spans(history: RunHistory) -> dict[tuple[int, str], list[StateSpan]]:
    """Per (client, hub): each state from the change that entered it to the next (the last one to
    the run's last moment)."""
    last = bounds(history)[1]
    spans: dict[tuple[int, str], list[StateSpan]] = {}
    for lane, changes in state_changes(history).items():
        ends = [e["t"] for e in changes[1:]] + [max(last, changes[-1]["t"])]
        spans[lane] = [
            StateSpan(lane[0], lane[1], e["data"]["to"], e["t"], end, e["data"].get("reason"))
            for e, end in zip(changes, ends, strict=True)
        ]
    return spans


def clients(history: RunHistory) -> list[int]:
    return sorted({int(e.get("client_index", 0)) for e in history.client}) or [0]


@dataclass(frozen=True, slots=True)
class Moment:
    t: float
    client: int
    hub: str
    kind: str  # "lost", "back" or "gave up"
    said: str  # the client's own reason, if it gave one
    note: str  # when, against the fault before it


def moments(history: RunHistory) -> list[Moment]:
    """Each time a client lost a hub (left CONNECTED), had it back, or gave up, in time order. The
    first connect and the closes at the end are left out."""
    end, spans = end_of(history), history.fault_spans()
    found = []
    for (client, hub), changes in state_changes(history).items():
        lost_at: float | None = None
        for e in changes:
            t, old, new, reason = e["t"], e["data"]["from"], e["data"]["to"], e["data"].get("reason")
            if new == "closed" and (t >= end or (reason or "").startswith("closed by the client")):
                continue
            if old == "connected" and new != "connected":
                lost_at = t
                found.append(
                    Moment(
                        t,
                        client,
                        hub,
                        "gave up" if new == "failed" else "lost",
                        reason or "",
                        _began(spans, hub, t),
                    )
                )
            elif new == "failed":
                found.append(Moment(t, client, hub, "gave up", reason or "", _since(t, lost_at)))
            elif new == "connected" and lost_at is not None:
                found.append(
                    Moment(t, client, hub, "back", "", _since(t, lost_at) + _lifted(spans, hub, lost_at, t))
                )
                lost_at = None
    return sorted(found, key=lambda m: m.t)


def grouped(found: list[Moment], within_s: float = 0.25) -> list[list[Moment]]:
    """Moments that are one happening seen by several clients (a herd losing a hub at once): the
    same hub, kind and reason within ``within_s``, each client once."""
    groups: list[list[Moment]] = []
    for m in found:
        last = groups[-1] if groups else None
        if (
            last is not None
            and (last[0].hub, last[0].kind, last[0].said) == (m.hub, m.kind, m.said)
            and m.t - last[0].t <= within_s
            and m.client not in {x.client for x in last}
        ):
            last.append(m)
        else:
            groups.append([m])
    return groups


def _began(spans: list[FaultSpan], hub: str, t: float) -> str:
    """How long before a loss at ``t`` the hub's latest fault began (faults begun together named
    together)."""
    before = [s for s in spans if s.hub == hub and s.start <= t]
    if not before:
        return "no fault before it"
    latest = before[-1].start
    names = list(dict.fromkeys(s.fault for s in before if latest - s.start < 0.05))
    return f"{t - latest:.2f} s after the {' and '.join(names)} began"


def _lifted(spans: list[FaultSpan], hub: str, lost_at: float, t: float) -> str:
    """How long before a reconnect at ``t`` the hub was freed: of the faults in force between the
    loss and ``t`` and lifted by then, the one lifted last (as ``recovered_within`` counts), with
    when its removal was done if that took a while."""
    lifted = [
        s
        for s in spans
        if s.hub == hub
        and s.asked is not None
        and s.start < t
        and s.asked <= t
        and (s.done or s.asked) >= lost_at
    ]
    if not lifted:
        return ""
    last = max(lifted, key=lambda s: (s.done or s.asked or 0.0, s.start))
    assert last.asked is not None
    note = f", {t - last.asked:.2f} s after the {last.fault} was lifted"
    if last.done is not None and last.done - last.asked >= 0.05 and last.done <= t:
        note += f" ({t - last.done:.2f} s after its removal was done)"
    return note


def _since(t: float, lost_at: float | None) -> str:
    return f"{t - lost_at:.2f} s after it was lost" if lost_at is not None else ""


def _is_sent(e: dict[str, Any]) -> bool:
    return bool(e.get("target")) and e.get("type", 1) == 1


def rates(history: RunHistory, hub: str, edges: abc.Sequence[float]) -> tuple[list[float], list[float]]:
    """Messages per second in each bin between ``edges``: sent by the server, received by the client."""
    width = edges[1] - edges[0] if len(edges) > 1 else 1.0

    def binned(times: abc.Iterable[float]) -> list[float]:
        counts = [0] * (len(edges) - 1)
        for t in times:
            i = int((t - edges[0]) / width)
            if 0 <= i < len(counts):
                counts[i] += 1
        return [c / width for c in counts]

    sent = (e["t"] for e in history.server if e.get("hub") == hub and _is_sent(e))
    received = (e["t"] for e in history.client if e.get("hub") == hub and "target" in e)
    return binned(sent), binned(received)


@dataclass(frozen=True, slots=True)
class Loss:
    hub: str
    stream: str  # "GatewayTrade/CON.F.US..."
    start: float  # when the first of them was sent
    end: float  # when the last was
    count: int
    how: str  # "reported" (a gap the client said), "coalesced" (quotes it counts as merged), "silent"
    t_reported: float | None = None


def _sends(history: RunHistory) -> dict[tuple[str, str, int], float]:
    return {
        (e["target"], e["key"], e["seq"]): e["t"]
        for e in history.server
        if _is_sent(e) and e.get("seq") is not None
    }


def _gaps(history: RunHistory, sends: dict[tuple[str, str, int], float]) -> list[tuple[Loss, set[Any]]]:
    """Each loss the client reported, with the messages it names."""
    found = []
    for gap in history.client_events("gap"):
        data, key = gap.get("data") or {}, gap.get("key")
        target = str(data.get("target", ""))
        if data.get("cause") == "seq":
            seqs = list(range(int(data["after"]) + 1, int(data["before"])))
        else:  # a queue's drop: the seq ranges it names, if any, and how many
            seqs = [n for first, last in data.get("ranges", ()) for n in range(first, last + 1)]
        named = {(target, key, n) for n in seqs}
        times = [sends[m] for m in named if m in sends] or [gap["t"]]
        count = len(named) or int(data.get("dropped", 0))
        loss = Loss(hub_of(target), f"{target}/{key}", min(times), max(times), count, "reported", gap["t"])
        found.append((loss, named))
    return found


def losses(history: RunHistory) -> list[Loss]:
    """What the client reported lost (each gap where its messages were sent) and, for streams it
    gives sequence numbers for, what it did not receive otherwise, in runs (a second apart): quotes
    it says it coalesced (its ``quotes_coalesced`` counter, first come first counted), and what it
    neither received nor reported."""
    sends = _sends(history)
    gaps = _gaps(history, sends)
    covered = set().union(*(named for _, named in gaps)) if gaps else set()
    seen = {
        (e["target"], e["key"], e["seq"])
        for e in history.client
        if e.get("seq") is not None and "target" in e
    }
    sequenced = {(t, k) for t, k, _ in seen}
    until = end_of(history) - SETTLE_S
    unseen = sorted(
        (t, m)
        for m, t in sends.items()
        if m not in seen and m not in covered and m[:2] in sequenced and t <= until
    )
    coalesced = max(
        (e["counters"].get("quotes_coalesced", 0) for e in history.client_events("metrics")), default=0
    )
    found = [loss for loss, _ in gaps]
    runs: dict[tuple[str, str, str], list[float]] = {}
    for t, (target, key, _) in unseen:
        how = "silent"
        if target == "GatewayQuote" and coalesced > 0:
            how, coalesced = "coalesced", coalesced - 1
        run = runs.get((target, key, how))
        if run is not None and t - run[-1] <= 1.0:
            run.append(t)
            continue
        if run is not None:
            found.append(Loss(hub_of(target), f"{target}/{key}", run[0], run[-1], len(run), how))
        runs[(target, key, how)] = [t]
    for (target, key, how), run in runs.items():
        found.append(Loss(hub_of(target), f"{target}/{key}", run[0], run[-1], len(run), how))
    return sorted(found, key=lambda loss: loss.start)


@dataclass(frozen=True, slots=True)
class Flow:
    hub: str
    sent: int
    received: int
    reported_lost: int
    coalesced: int
    unreported: int | None  # None: the client gives no sequence numbers, so which ones is unknown


def flows(history: RunHistory) -> list[Flow]:
    found, lost = [], losses(history)
    for hub in HUBS:
        sent = {
            (e["target"], e["key"], e.get("seq"))
            for e in history.server
            if e.get("hub") == hub and _is_sent(e)
        }
        events = [e for e in history.client if e.get("hub") == hub and "target" in e]
        if not sent and not events:
            continue
        sequenced = any(e.get("seq") is not None for e in events)
        received = len({(e["target"], e["key"], e["seq"]) for e in events}) if sequenced else len(events)

        def counted(how: str, hub: str = hub) -> int:
            return sum(x.count for x in lost if x.hub == hub and x.how == how)

        silent = counted("silent") if sequenced else None
        found.append(Flow(hub, len(sent), received, counted("reported"), counted("coalesced"), silent))
    return found


def metric_series(history: RunHistory) -> dict[str, dict[int, list[tuple[float, float]]]]:
    """Per metric the client reports (``METRICS``, non-null at least once): per client, its samples."""
    series: dict[str, dict[int, list[tuple[float, float]]]] = {}
    for e in history.client_events("metrics"):
        for name in METRICS:
            value = e.get(name)
            if isinstance(value, int | float):
                series.setdefault(name, {}).setdefault(int(e.get("client_index", 0)), []).append(
                    (e["t"], value)
                )
    return {name: series[name] for name in METRICS if name in series}


def counters_at_end(history: RunHistory) -> dict[str, int]:
    """The first client's counters in its last sample that are not zero (what happened, counted)."""
    samples = [e for e in history.client_events("metrics") if not e.get("client_index")]
    counters = (samples[-1].get("counters") or {}) if samples else {}
    return {k: v for k, v in counters.items() if isinstance(v, int) and v}
