"""Invariants as pure functions over a ``RunHistory``: each returns a ``Verdict`` and can be run
again on a saved run (``RunHistory.load``). Each has a unit test that makes it fail on a crafted
bad history (``tests/unit/harness/run/test_checks.py``).
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from typing import Any

from ..infra import gateway
from .history import RunHistory
from .verdicts import Verdict

__all__ = ["Verdict"]  # scenarios build their own verdicts through this module

STREAM_TARGETS = (
    "GatewayQuote",
    "GatewayTrade",
    "GatewayDepth",
    "GatewayUserAccount",
    "GatewayUserOrder",
    "GatewayUserPosition",
    "GatewayUserTrade",
)


def _end(history: RunHistory) -> float:
    return float(history.meta.get("end", max((e["t"] for e in history.client), default=0.0)))


def no_silent_loss(history: RunHistory, *, settle_s: float = 1.0) -> Verdict:
    """Every stream message the server sent to the client (up to ``settle_s`` before the end) was
    observed, or the client reported it lost: a ``seq`` gap covering it, or a queue drop for its
    stream (exactly, when the drop names its ``seq`` ranges; else by count); quotes the client
    coalesced (a counter) count as handled. For a client that does not expose ``seq``, each
    stream's received count must reach its sent count, but for what was in flight when a link died:
    the real Gateway sends no sequence numbers (the ``seq`` header is the simulator's own), so no
    such client can tell which of the messages sent in a connection's last ``IN_FLIGHT_S`` were
    lost. What it loses while it takes a dead link for a live one still counts. A client that
    exposes ``seq`` is not held to what its first connections carried before the first message it
    ever saw of a stream, if they died: no number tells it those existed."""
    end = _end(history) - settle_s
    sent = {
        (e["target"], e["key"], e["seq"])
        for e in history.server
        if e.get("target") in STREAM_TARGETS and e.get("seq") is not None and e["t"] <= end
    }
    seen = {
        (e["target"], e["key"], e["seq"])
        for e in history.client
        if e.get("seq") is not None and "target" in e
    }
    covered: set[tuple[str, str, int]] = set()
    allowance: Counter[tuple[str, str]] = Counter()
    for gap in history.client_events("gap"):
        data = gap.get("data") or {}
        if data.get("cause") == "seq":
            covered |= {(data["target"], gap["key"], n) for n in range(data["after"] + 1, data["before"])}
        elif data.get("target"):
            named = {n for first, last in data.get("ranges", ()) for n in range(first, last + 1)}
            covered |= {(data["target"], gap["key"], n) for n in named}
            allowance[(data["target"], gap["key"])] += max(0, int(data.get("dropped", 0)) - len(named))
    coalesced = max(
        (e["counters"].get("quotes_coalesced", 0) for e in history.client_events("metrics")), default=0
    )
    missing: Counter[tuple[str, str]] = Counter(
        (t, k) for t, k, s in sent - seen - covered - _unknowable_before_first_seq(history, sent - seen, end)
    )
    # A client that does not expose message headers (project-x-py, bare clients) reports events
    # without ``seq``: for its streams, count instead (received vs sent, duplicates included).
    sent_per_stream = _distinct_sends(history, end, spare_in_flight=True)
    for stream, received in _unsequenced(history).items():
        missing[stream] = max(0, sent_per_stream[stream] - received)
    silent = {}
    for (target, key), count in missing.items():
        allowed = allowance[(target, key)] + (coalesced if target == "GatewayQuote" else 0)
        if count > allowed:
            silent[f"{target}/{key}"] = count - allowed
    if not sent:
        return Verdict("no_silent_loss", False, "the server sent no stream message: nothing was tested")
    if silent:
        return Verdict("no_silent_loss", False, f"lost without a report: {silent} (of {len(sent)} sent)")
    if not seen:  # a client that exposes no seq: judged by counting each stream
        return Verdict("no_silent_loss", True, f"{len(sent)} sent; every stream received as many (counted)")
    return Verdict("no_silent_loss", True, f"{len(sent)} sent; {len(sent - seen)} not seen, all reported")


def _unknowable_before_first_seq(
    history: RunHistory, unseen: set[tuple[str, str, int]], until: float
) -> set[tuple[str, str, int]]:
    """Of the unseen sequenced messages, those no client could know were lost: sent on a
    connection that then died, before the first message it ever saw of that stream (a stream's
    ``seq`` runs across subscriptions, so the first one seen may carry any number). How soon the
    client noticed the dead link is for the detection verdicts to judge."""
    first: dict[tuple[str, str], int] = {}
    for e in history.client:
        if e.get("seq") is not None and "target" in e:
            stream = (e["target"], e["key"])
            first[stream] = min(first.get(stream, e["seq"]), e["seq"])
    closed = {c: r.get("closedAt") for c, r in history.meta.get("connections", {}).items()}
    spared = set()
    for e in history.server:
        message = (e.get("target"), e.get("key"), e.get("seq"))
        if message not in unseen or e["seq"] >= first.get((e["target"], e["key"]), -1):
            continue
        died = closed.get(e.get("connectionId", ""))
        if died is not None and died < until:
            spared.add(message)
    return spared


def _unsequenced(history: RunHistory) -> Counter[tuple[str, str]]:
    """Events per stream for the streams the client never gave a ``seq`` for (a client that does
    not expose headers). A stream with any ``seq`` is checked by ``seq`` (snapshots carry none)."""
    events = Counter((e["target"], e["key"]) for e in history.client if "target" in e)
    sequenced = {
        (e["target"], e["key"]) for e in history.client if "target" in e and e.get("seq") is not None
    }
    return Counter({stream: n for stream, n in events.items() if stream not in sequenced})


IN_FLIGHT_S = 0.5


def _distinct_sends(
    history: RunHistory, until: float, *, spare_in_flight: bool = False
) -> Counter[tuple[str, str]]:
    """Distinct messages the server sent per stream up to ``until``: each ``seq`` once (a fault
    may send one twice), each message without one (a depth snapshot) as sent. ``spare_in_flight``
    leaves out what was sent in the last ``IN_FLIGHT_S`` before a connection's close (as the
    server saw it, ``meta["connections"]``) when that was before ``until``: in flight as it died.
    For the targets a client calls back per entry (``meta["client_entries"]``) it counts entries."""
    closed = {c: r.get("closedAt") for c, r in history.meta.get("connections", {}).items()}
    died = {c: t - IN_FLIGHT_S for c, t in closed.items() if spare_in_flight and t is not None and t < until}
    judged = [
        e
        for e in history.server
        if e.get("target") in STREAM_TARGETS
        and e["t"] <= until
        and e["t"] <= died.get(e.get("connectionId", ""), until)
    ]
    # A client that calls back once per entry of a list (``meta["client_entries"]``: the targets)
    # is owed one event per entry the message carried, not one per message.
    per_entry = set(history.meta.get("client_entries", ()))

    def weight(e: dict[str, Any]) -> int:
        return int(e.get("entries") or 0) if e["target"] in per_entry else 1

    sequenced = {(e["target"], e["key"], e["seq"]): weight(e) for e in judged if e.get("seq") is not None}
    counts: Counter[tuple[str, str]] = Counter()
    for (target, key, _), n in sequenced.items():
        counts[(target, key)] += n
    for e in judged:
        if e.get("seq") is None:
            counts[(e["target"], e["key"])] += weight(e)
    return counts


def _states(history: RunHistory, hub: str) -> list[tuple[float, str, str]]:
    return [
        (e["t"], e["data"]["from"], e["data"]["to"])
        for e in history.client_events("state")
        if e["hub"] == hub
    ]


def detected_within(history: RunHistory, fault: str, bound_s: float) -> Verdict:
    """After each application of ``fault`` to a hub, the client left CONNECTED within ``bound_s``.
    (Verdict names carry no bounds, so findings can name them exactly; the detail gives the bound.)"""
    name = f"detected_{fault}"
    applied = [f for f in history.faults if f["fault"] == fault and f["action"] == "apply"]
    if not applied:
        return Verdict(name, False, f"no {fault} was applied: nothing was tested")
    slow = []
    for f in applied:
        left = [t for t, old, _ in _states(history, f["hub"]) if old == "connected" and t >= f["t"]]
        took = (left[0] - f["t"]) if left else None
        if took is None or took > bound_s:
            slow.append(f"{f['hub']} at {f['t']:.3f}: {'never' if took is None else f'{took:.2f} s'}")
    if slow:
        return Verdict(name, False, f"not detected within {bound_s:g} s: " + "; ".join(slow))
    return Verdict(name, True, f"{len(applied)} fault(s), each detected within {bound_s:g} s")


def recovered_within(
    history: RunHistory, bound_s: float, streams: dict[str, list[str]] | None = None
) -> Verdict:
    """After each loss of a hub, it was CONNECTED again within ``bound_s`` of the fault clearing
    (or of the loss, if no fault was active) and every subscribed stream that hub carries
    (``streams``: target -> keys) delivered an event within ``bound_s`` of reconnecting.

    A stream is not held to that after a reconnect when something else explains its silence: a
    new fault on the hub within the window (its own loss and recovery are judged), or the client
    unsubscribing that stream itself between the loss and the window's end (churn)."""
    name = "recovered"
    problems = []
    clears = [f for f in history.faults if f["action"] == "clear"]
    applies = [f for f in history.faults if f["action"] == "apply"]
    for hub in ("user", "market"):
        changes = _states(history, hub)
        for t, old, new in changes:
            if old != "connected" or new == "closed" or t > _end(history):
                continue  # closing at the end is not a loss
            since = max([c["t"] for c in clears if c["hub"] == hub and c["t"] >= t][:1] or [t])
            back = [bt for bt, _, new in changes if new == "connected" and bt > t]
            if not back or back[0] - since > bound_s:
                problems.append(f"{hub} lost at {t:.3f}, not back within {bound_s} s")
                continue
            window = (back[0], back[0] + bound_s)
            if any(f["hub"] == hub and window[0] < f["t"] < window[1] for f in applies):
                continue  # a new fault within the window: its own loss and recovery are judged
            for target, keys in (streams or {}).items():
                for key in keys:
                    if _hub_of(target) != hub or _unsubscribed(history, target, key, t, window[1]):
                        continue
                    events = [
                        e["t"] for e in history.client if e.get("target") == target and e.get("key") == key
                    ]
                    if not any(window[0] <= et <= window[1] for et in events):
                        problems.append(f"{target}/{key} silent for {bound_s} s after {hub} reconnected")
    if problems:
        return Verdict(name, False, "; ".join(problems))
    return Verdict(name, True, f"every loss recovered and resubscribed within {bound_s:g} s")


STREAM_OF = {target: stream for stream, target in gateway.STREAM_TARGETS.items()}


def _hub_of(target: str) -> str:
    return "user" if target.startswith("GatewayUser") else "market"


def _unsubscribed(history: RunHistory, target: str, key: str, start: float, end: float) -> bool:
    """Whether the client itself unsubscribed ``target``'s ``key`` between ``start`` and ``end``."""
    stream = STREAM_OF.get(target)
    return any(
        start <= e["t"] <= end and e.get("stream") == stream and e.get("key") == key
        for e in history.client_events("unsubscribed")
    )


def no_duplicate_subscriptions(history: RunHistory) -> Verdict:
    """On no connection did the client subscribe the same stream twice without unsubscribing."""
    calls: dict[str, list[list[Any]]] = history.meta.get("subscribe_calls", {})
    if not calls:
        return Verdict("no_duplicate_subscriptions", False, "no subscribe calls recorded: nothing was tested")
    duplicates = []
    for connection, invocations in calls.items():
        live: set[tuple[str, str]] = set()
        for target, arguments in invocations:
            stream = (target.removeprefix("Subscribe").removeprefix("Unsubscribe"), repr(arguments))
            if target.startswith("Subscribe"):
                if stream in live:
                    duplicates.append(f"{connection}: {target}{arguments}")
                live.add(stream)
            else:
                live.discard(stream)
    if duplicates:
        return Verdict("no_duplicate_subscriptions", False, "duplicates: " + "; ".join(duplicates[:5]))
    return Verdict("no_duplicate_subscriptions", True, f"{len(calls)} connection(s), no duplicate")


def token_never_in_url(history: RunHistory) -> Verdict:
    """No hub or REST request carried the token in its URL."""
    if not history.requests:
        return Verdict("token_never_in_url", False, "no request recorded: nothing was tested")
    in_url = [
        r["requestLine"]
        for r in history.requests
        if (r.get("token") or {}).get("source") in ("query", "both")
    ]
    if in_url:
        return Verdict(
            "token_never_in_url", False, f"token in the URL of {len(in_url)} request(s): {in_url[0]}"
        )
    return Verdict("token_never_in_url", True, f"{len(history.requests)} requests, token only in headers")


def token_never_in_logs(history: RunHistory) -> Verdict:
    """No log record the client made held its token (the driver watches every logger in the
    client's process: ``harness/clients/drivers/token_watch.py``). Unknown for a client not watched."""
    counts = [
        c["tokens_logged"]
        for e in history.client_events("metrics")
        if (c := e.get("counters") or {}).get("tokens_logged") is not None
    ]
    if not counts:
        return Verdict.unknown("token_never_in_logs", "the client's logs are not watched")
    where = sorted({f"{e.get('logger')} {e.get('level')}" for e in history.client_events("token_logged")})
    if counts[-1]:
        return Verdict(
            "token_never_in_logs", False, f"{counts[-1]} log record(s) held the token: {', '.join(where)}"
        )
    return Verdict("token_never_in_logs", True, "no log record held the token")


def fresh_token_after(history: RunHistory, t: float) -> Verdict:
    """After ``t`` (a refresh, an expiry) the client moved to a new token on the hubs and never went
    back: hub requests (negotiate, upgrade) after ``t`` either carry a token not used before it, or
    come before the first that does (a client cannot know a revoked token is dead until it is refused
    once). No hub request after ``t`` at all passes: nothing presented the old token."""
    hub = sorted((r for r in history.requests if "/hubs/" in r["requestLine"]), key=lambda r: r["t"])
    before = {(r.get("token") or {}).get("fingerprint") for r in hub if r["t"] < t} - {None}
    after = [r for r in hub if r["t"] >= t]
    fresh = [r for r in after if (r.get("token") or {}).get("fingerprint") not in before]
    if not after:
        return Verdict("fresh_token_after", True, "no hub request after it")
    if not fresh:
        return Verdict(
            "fresh_token_after",
            False,
            f"all {len(after)} hub request(s) after it used an old token: "
            f"{after[0]['requestLine'].split('?')[0]}",
        )
    back = [r for r in after if r["t"] > fresh[0]["t"] and r not in fresh]
    if back:
        return Verdict("fresh_token_after", False, f"{len(back)} hub request(s) went back to an old token")
    stale = len(after) - len(fresh)
    return Verdict(
        "fresh_token_after", True, f"{len(fresh)} hub request(s) with a new token ({stale} refused before)"
    )


def _bounded(history: RunHistory, name: str, field: str, bound: int, what: str) -> Verdict:
    samples = [e.get(field) for e in history.client_events("metrics")]
    if not samples:
        return Verdict(name, False, "no metrics sampled: nothing was tested")
    known = [s for s in samples if s is not None]
    if not known:  # the driver leaves the field null: the client cannot say
        return Verdict.unknown(name, f"the client does not report its {what}")
    worst = max(known)
    return Verdict(name, worst <= bound, f"at most {worst} {what} (bound {bound})")


def queues_bounded(history: RunHistory, bound: int) -> Verdict:
    return _bounded(history, "queues_bounded", "queued", bound, "queued events")


def tasks_bounded(
    history: RunHistory, bound: int, *, growth_after: float | None = None, at_end: bool = False
) -> Verdict:
    """At most ``bound`` tasks; with ``growth_after`` (a time), at most ``bound`` more than the most
    the client ran before it: what a burst added, not the machinery it always runs (project-x-py
    4.x keeps about a dozen tasks at rest: heartbeats, watchdogs, keep-alives). With ``at_end``, the
    tasks left in the last sample: a leak, not a backlog the client works through (a scenario
    about something else than bursts must not fail on one, R5's mechanism)."""
    if at_end:
        counts = [e["tasks"] for e in history.client_events("metrics") if e.get("tasks") is not None]
        if not counts:
            return Verdict.unknown("tasks_bounded", "the client does not report its tasks")
        return Verdict(
            "tasks_bounded", counts[-1] <= bound, f"{counts[-1]} tasks left at the end (bound {bound})"
        )
    if growth_after is None:
        return _bounded(history, "tasks_bounded", "tasks", bound, "tasks")
    before = [
        e["tasks"]
        for e in history.client_events("metrics")
        if e.get("tasks") is not None and e["t"] < growth_after
    ]
    after = [
        e["tasks"]
        for e in history.client_events("metrics")
        if e.get("tasks") is not None and e["t"] >= growth_after
    ]
    if not before or not after:
        return _bounded(history, "tasks_bounded", "tasks", bound, "tasks")
    grown = max(after) - max(before)
    return Verdict(
        "tasks_bounded",
        grown <= bound,
        f"at most {max(after)} tasks, {grown} more than before it (bound {bound} more)",
    )


def no_deadlock(history: RunHistory, bound_s: float) -> Verdict:
    """The client answered and closed within ``bound_s`` at the end."""
    took = history.meta.get("close_s")
    if took is None:
        return Verdict("no_deadlock", False, "the client did not close")
    return Verdict("no_deadlock", took <= bound_s, f"closed in {took:.2f} s (bound {bound_s} s)")


def untouched(history: RunHistory, hub: str) -> Verdict:
    """``hub`` never left CONNECTED after it first got there (the other hub's faults did not reach it):
    as the client says, and as the server saw (one WebSocket on that hub: a reconnect faster than
    the client's state can be sampled still shows there)."""
    changes = _states(history, hub)
    lost = [t for t, old, _ in changes if old == "connected"]
    end_lost = [t for t in lost if t < _end(history) - 0.5]  # closing at the end is not a loss
    if not any(new == "connected" for _, _, new in changes):
        return Verdict(f"{hub}_untouched", False, f"{hub} never connected")
    upgrades = sum(
        1
        for r in history.requests
        if r["requestLine"].startswith(f"GET /hubs/{hub}") and r.get("status") == 101
    )
    detail = f"{hub} left CONNECTED {len(end_lost)} time(s); {upgrades} WebSocket(s) opened on it"
    return Verdict(f"{hub}_untouched", not end_lost and upgrades <= 1, detail)


def connected_at_end(history: RunHistory) -> Verdict:
    last: dict[str, str] = defaultdict(lambda: "never")
    for e in history.client_events("state"):
        if e["t"] <= _end(history):
            last[e["hub"]] = e["data"]["to"]
    down = {hub: state for hub in ("user", "market") if (state := last[hub]) != "connected"}
    return Verdict("connected_at_end", not down, f"not connected: {down}" if down else "both hubs connected")


def no_duplicate_delivery(history: RunHistory) -> Verdict:
    """No stream message reached the client's user twice: by ``seq`` when the client exposes it,
    else by count (more events of a stream than distinct messages the server sent on it)."""
    observed = [(e["target"], e["key"], e["seq"]) for e in history.client if e.get("seq") is not None]
    twice = len(observed) - len(set(observed))
    unsequenced = _unsequenced(history)
    if unsequenced:
        distinct = _distinct_sends(history, float("inf"))
        twice += sum(max(0, n - distinct[stream]) for stream, n in unsequenced.items())
    return Verdict("no_event_delivered_twice", twice == 0, f"{twice} duplicate deliveries")


def no_silent_stall(history: RunHistory, streams: dict[str, list[str]], window_s: float) -> Verdict:
    """While the client says a hub is CONNECTED, its subscribed streams (``streams``: target -> keys)
    deliver: at the end, every stream whose hub the client calls connected had an event in the last
    ``window_s`` seconds (the streams run at several events a second)."""
    end = _end(history)
    last: dict[str, str] = {}
    for e in history.client_events("state"):
        if e["t"] <= end:
            last[e["hub"]] = e["data"]["to"]
    stalled = []
    for target, keys in streams.items():
        hub = "user" if target.startswith("GatewayUser") else "market"
        for key in keys:
            if last.get(hub) != "connected":
                continue  # not claimed live: connected_at_end / recovered_within judge that
            times = [e["t"] for e in history.client if e.get("target") == target and e.get("key") == key]
            if not any(end - window_s <= t <= end for t in times):
                stalled.append(f"{target}/{key}")
    if stalled:
        return Verdict(
            "no_silent_stall",
            False,
            f"{hub} says connected, yet silent for {window_s} s: {', '.join(stalled)}",
        )
    return Verdict("no_silent_stall", True, "every stream of a connected hub delivered at the end")


def counter_between(history: RunHistory, name: str, low: int, high: int) -> Verdict:
    """The client's counter ``name`` ended between ``low`` and ``high`` (inclusive). A counter the
    client never reports (absent from every sample, or null) is unknown, not zero."""
    verdict = f"{name}_between"
    metrics = history.client_events("metrics")
    if not metrics:
        return Verdict(verdict, False, "no metrics sampled: nothing was tested")
    samples = [c[name] for e in metrics if (c := e.get("counters") or {}).get(name) is not None]
    if not samples:
        return Verdict.unknown(verdict, f"the client does not report {name}")
    final = samples[-1]
    return Verdict(verdict, low <= final <= high, f"{name} = {final} (wanted {low}..{high})")


def reports_state(history: RunHistory, state: str) -> bool:
    """Whether the client under test can report hub ``state`` at all (its driver says which states
    it reports in ``ready``: project-x-py has only connected flags, so never ``failed``)."""
    states = history.meta.get("client_states")
    return states is None or state in states


def failed_visibly(history: RunHistory, hub: str, reason: str) -> Verdict:
    """``hub`` ended FAILED, and the reason it gives names ``reason``; unknown for a client that
    has no failed state to report."""
    if not reports_state(history, "failed"):
        return Verdict.unknown(f"{hub}_failed_visibly", "the client has no failed state to report")
    failed = [e for e in history.client_events("state") if e["hub"] == hub and e["data"]["to"] == "failed"]
    ok = bool(failed) and reason in (failed[-1]["data"].get("reason") or "")
    detail = failed[-1]["data"].get("reason") if failed else f"{hub} never FAILED"
    return Verdict(f"{hub}_failed_visibly", ok, str(detail))


def retries_back_off(attempts: list[float]) -> Verdict:
    """The gaps between retries grow: the median of the last third is at least twice the median of
    the first three. Fewer than five attempts cannot hammer anything (giving up is judged by
    whether the hub came back)."""
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    if len(attempts) < 5:
        return Verdict(
            "retries_back_off", True, f"{len(attempts)} attempt(s) in the outage: nothing hammered"
        )
    early, late = statistics.median(gaps[:3]), statistics.median(gaps[-max(1, len(gaps) // 3) :])
    return Verdict(
        "retries_back_off",
        late >= 2 * early,
        f"{len(attempts)} attempts; gaps {early:.2f} s at first, {late:.2f} s at the end (median)",
    )
