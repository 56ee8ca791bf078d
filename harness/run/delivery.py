"""The delivery invariants: what the server sent against what the client's user received. A
message lost without a report, one delivered twice, a stream silent while its hub claims to be
connected. Counted by ``seq`` when the client exposes it, else per stream (received against
distinct sends), weighed in entries for a client that calls back once per entry of a list.
``checks`` re-exports the three verdicts, so scenarios name every invariant through one module.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..infra.gateway import TARGETS, hub_of
from .history import RunHistory
from .verdicts import Verdict

DELIVERED = frozenset(TARGETS.values())  # the stream targets, both hubs'


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
    ever saw of a stream, if they died: no number tells it those existed.

    Counting cannot see a loss behind duplicates: a stream that got more events than the server
    ever sent on it (a client that delivers twice) may have lost as many. With no loss shown,
    such a stream makes the verdict unknown, not a pass."""
    end = history.end() - settle_s
    sent = {
        (e["target"], e["key"], e["seq"])
        for e in history.server
        if e.get("target") in DELIVERED and e.get("seq") is not None and e["t"] <= end
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
    if masked := _masked_by_duplicates(history):
        shown = ", ".join(f"{target}/{key} (+{n})" for (target, key), n in sorted(masked.items()))
        return Verdict.unknown(
            "no_silent_loss",
            f"no loss counted, but more events than the server sent: {shown}; without seq, as many "
            "losses could hide behind those duplicates",
        )
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


def _masked_by_duplicates(history: RunHistory) -> Counter[tuple[str, str]]:
    """Per counted stream, how many more events the client got than distinct messages the server
    ever sent on it: duplicates, behind which as many losses could hide."""
    distinct = _distinct_sends(history, float("inf"))
    extra = {stream: n - distinct[stream] for stream, n in _unsequenced(history).items()}
    return Counter({stream: n for stream, n in extra.items() if n > 0})


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
        if e.get("target") in DELIVERED
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


def no_duplicate_delivery(history: RunHistory) -> Verdict:
    """No stream message reached the client's user twice: by ``seq`` when the client exposes it,
    else by count (more events of a stream than distinct messages the server sent on it)."""
    observed = [(e["target"], e["key"], e["seq"]) for e in history.client if e.get("seq") is not None]
    twice = len(observed) - len(set(observed))
    twice += sum(_masked_by_duplicates(history).values())
    return Verdict("no_event_delivered_twice", twice == 0, f"{twice} duplicate deliveries")


def no_silent_stall(history: RunHistory, streams: dict[str, list[str]], window_s: float) -> Verdict:
    """While the client says a hub is CONNECTED, its subscribed streams (``streams``: target -> keys)
    deliver: at the end, every stream whose hub the client calls connected had an event in the last
    ``window_s`` seconds (the streams run at several events a second)."""
    end = history.end()
    last: dict[str, str] = {}
    for e in history.client_events("state"):
        if e["t"] <= end:
            last[e["hub"]] = e["data"]["to"]
    stalled: dict[str, list[str]] = {}
    for target, keys in streams.items():
        hub = hub_of(target)
        for key in keys:
            if last.get(hub) != "connected":
                continue  # not claimed live: connected_at_end / recovered_within judge that
            times = [e["t"] for e in history.client if e.get("target") == target and e.get("key") == key]
            if not any(end - window_s <= t <= end for t in times):
                stalled.setdefault(hub, []).append(f"{target}/{key}")
    if stalled:
        return Verdict(
            "no_silent_stall",
            False,
            "; ".join(
                f"{hub} says connected, yet silent for {window_s} s: {', '.join(names)}"
                for hub, names in stalled.items()
            ),
        )
    return Verdict("no_silent_stall", True, "every stream of a connected hub delivered at the end")
