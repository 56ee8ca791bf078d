"""Invariants as pure functions over a ``RunHistory``: each returns a ``Verdict`` and can be run
again on a saved run (``RunHistory.load``). Each has a unit test that makes it fail on a crafted
bad history (``tests/unit/harness/run/test_checks.py``).
"""

from __future__ import annotations

import itertools
import statistics
from collections import abc, defaultdict
from typing import Any

from ..infra import gateway
from .delivery import no_duplicate_delivery, no_silent_loss, no_silent_stall
from .history import RunHistory
from .verdicts import Verdict

# Scenarios build their own verdicts and name every invariant through this module.
__all__ = ["Verdict", "no_duplicate_delivery", "no_silent_loss", "no_silent_stall"]


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
    """After each loss of a hub, it was CONNECTED again within ``bound_s`` of the hub being free
    again (the last clear of the faults on that hub that were in force between the loss and the
    reconnect, or the loss itself if none was) and every subscribed stream that hub carries
    (``streams``: target -> keys) delivered an event within ``bound_s`` of reconnecting.

    A stream is not held to that after a reconnect when something else explains its silence: a
    new fault on the hub within the window (its own loss and recovery are judged), or the client
    unsubscribing that stream itself between the loss and the window's end (churn)."""
    name = "recovered"
    problems = []
    applies = [f for f in history.faults if f["action"] == "apply"]
    spans = history.fault_spans()
    for hub in ("user", "market"):
        changes = _states(history, hub)
        # each lasting fault on the hub, in force until its clear was done (not asked: removing a
        # toxic that held data can take seconds); one never cleared is an event and holds nothing
        lasting = [(s.start, s.done) for s in spans if s.hub == hub and s.done is not None]
        for t, old, new in changes:
            if old != "connected" or new == "closed" or t > history.end():
                continue  # closing at the end is not a loss
            back = [bt for bt, _, new in changes if new == "connected" and bt > t]
            until = back[0] if back else history.end()
            since = max([t, *(end for start, end in lasting if start < until and end > t)])
            if not back or back[0] - since > bound_s:
                problems.append(f"{hub} lost at {t:.3f}, not back within {bound_s} s")
                continue
            window = (back[0], back[0] + bound_s)
            if any(f["hub"] == hub and window[0] < f["t"] < window[1] for f in applies):
                continue  # a new fault within the window: its own loss and recovery are judged
            for target, keys in (streams or {}).items():
                for key in keys:
                    if gateway.hub_of(target) != hub or _unsubscribed(history, target, key, t, window[1]):
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
    end_lost = [t for t in lost if t < history.end() - 0.5]  # closing at the end is not a loss
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
        if e["t"] <= history.end():
            last[e["hub"]] = e["data"]["to"]
    down = {hub: state for hub in ("user", "market") if (state := last[hub]) != "connected"}
    return Verdict("connected_at_end", not down, f"not connected: {down}" if down else "both hubs connected")


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


def connect_attempts(requests: abc.Iterable[dict[str, Any]], hub: str) -> list[float]:
    """When each attempt to connect ``hub`` began, in the simulator's request log: its negotiates,
    or, for a client that skips negotiate (topstep-sdk), its WebSocket upgrades."""
    requests = list(requests)
    negotiates = [r["t"] for r in requests if r["requestLine"].startswith(f"POST /hubs/{hub}/negotiate")]
    return negotiates or [r["t"] for r in requests if r["requestLine"].startswith(f"GET /hubs/{hub}")]


def stayed_away(history: RunHistory, hub: str, since: float) -> Verdict:
    """After the server closed ``hub`` refusing reconnection (``allowReconnect: false``, at
    ``since``), the client made no new attempt to connect it: as the server saw, so it holds for
    a client that cannot report a failed state too."""
    name = f"{hub}_stayed_away"
    later = [t for t in connect_attempts(history.requests, hub) if t > since]
    if later:
        return Verdict(
            name,
            False,
            f"{len(later)} attempt(s) to connect {hub} after it was refused, the first "
            f"{later[0] - since:.2f} s after",
        )
    return Verdict(name, True, f"no attempt to connect {hub} after it was refused")


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
