"""Every checker passes a good history and fails a crafted bad one: none of them cannot fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.run import checks
from harness.run.history import RunHistory

Q = "GatewayQuote"


def sent(seqs: range, t: float = 1.0) -> list[dict[str, Any]]:
    return [
        {"t": t, "target": Q, "key": "C", "seq": n, "connectionId": "a", "hub": "market", "type": 1}
        for n in seqs
    ]


def seen(seqs: list[int], t: float = 2.0) -> list[dict[str, Any]]:
    return [{"t": t, "kind": "quote", "target": Q, "key": "C", "seq": n} for n in seqs]


def state(hub: str, t: float, old: str, new: str) -> dict[str, Any]:
    return {"t": t, "kind": "state", "hub": hub, "data": {"from": old, "to": new, "reason": None}}


def history(**parts: Any) -> RunHistory:
    run = RunHistory(meta={"end": 10.0, **parts.pop("meta", {})})
    for name, value in parts.items():
        setattr(run, name, value)
    return run


def test_no_silent_loss_accepts_reported_gaps_and_catches_unreported_ones() -> None:
    gap = {
        "t": 2.0,
        "kind": "gap",
        "key": "C",
        "data": {"cause": "seq", "target": Q, "after": 3, "before": 7},
    }
    good = history(server=sent(range(1, 10)), client=[*seen([1, 2, 3, 7, 8, 9]), gap])
    assert checks.no_silent_loss(good).ok
    bad = history(server=sent(range(1, 10)), client=seen([1, 2, 3, 7, 8, 9]))
    verdict = checks.no_silent_loss(bad)
    assert not verdict.ok
    assert "GatewayQuote/C': 3" in verdict.detail


def test_no_silent_loss_counts_events_of_a_client_that_does_not_expose_seq() -> None:
    unsequenced = [{**e, "seq": None} for e in seen(list(range(1, 10)))]
    assert checks.no_silent_loss(history(server=sent(range(1, 10)), client=unsequenced)).ok
    verdict = checks.no_silent_loss(history(server=sent(range(1, 10)), client=unsequenced[:6]))
    assert not verdict.ok
    assert "GatewayQuote/C': 3" in verdict.detail
    snapshot = {**seen([0])[0], "seq": None}  # a depth snapshot has no seq: the stream is still sequenced
    assert checks.no_silent_loss(
        history(server=sent(range(1, 10)), client=[snapshot, *seen(list(range(1, 10)))])
    ).ok


def test_without_seq_duplicates_make_a_loss_uncountable_so_the_verdict_is_unknown() -> None:
    unsequenced = [{**e, "seq": None} for e in seen(list(range(1, 10)))]
    twice = unsequenced[:6] * 2  # 3 of 9 lost, every one of the 6 others delivered twice: 12 events
    verdict = checks.no_silent_loss(history(server=sent(range(1, 10)), client=twice))
    assert verdict.status == "unknown"
    assert "GatewayQuote/C (+3)" in verdict.detail
    too_few = unsequenced[:3] * 2  # 6 of 9 lost: fewer events than sent, whatever the duplicates
    assert checks.no_silent_loss(history(server=sent(range(1, 10)), client=too_few)).status == "fail"
    seq_twice = seen(list(range(1, 10))) * 2  # with seq, duplicates hide nothing
    assert checks.no_silent_loss(history(server=sent(range(1, 10)), client=seq_twice)).ok


def test_without_seq_what_was_in_flight_when_a_connection_died_is_not_counted() -> None:
    unsequenced = [{**e, "seq": None} for e in seen(list(range(1, 6)))]
    late = [{**e, "t": 3.8} for e in sent(range(6, 8))]  # sent in the link's last half second
    run = history(server=[*sent(range(1, 6)), *late], client=unsequenced)
    assert not checks.no_silent_loss(run).ok  # the connection lived on: those two were lost
    run.meta["connections"] = {"a": {"hub": "market", "closedAt": 4.0}}
    assert checks.no_silent_loss(run).ok  # it died at 4.0: no client without seq could know
    run.meta["connections"]["a"]["closedAt"] = 6.0  # silent for 2 s before it died: that loss counts
    assert not checks.no_silent_loss(run).ok


def test_what_a_dead_connection_carried_before_a_clients_first_seq_is_not_held_against_it() -> None:
    early = [{**e, "connectionId": "a", "t": 1.2 + n / 20} for n, e in enumerate(sent(range(2, 8)))]
    later = [{**e, "connectionId": "b", "t": 2.0} for e in sent(range(8, 12))]
    died = {"connections": {"a": {"closedAt": 1.6}, "b": {"closedAt": None}}}
    client = seen(list(range(8, 12)))  # its first quote is seq 8: it cannot know 2-7 were ever sent
    assert checks.no_silent_loss(history(server=early + later, client=client, meta=died)).ok
    late = {"connections": {"a": {"closedAt": 3.0}, "b": {"closedAt": None}}}  # however late it died
    assert checks.no_silent_loss(history(server=early + later, client=client, meta=late)).ok
    seen_before = seen([2]) + client  # it saw seq 2 there: 3-7 are then a gap it must report
    assert not checks.no_silent_loss(history(server=early + later, client=seen_before, meta=late)).ok
    alive = {"connections": {"a": {"closedAt": None}, "b": {"closedAt": None}}}
    assert not checks.no_silent_loss(history(server=early + later, client=client, meta=alive)).ok
    nothing = [e for e in client if False]  # a stream it never saw at all is judged whole
    assert not checks.no_silent_loss(history(server=early + later, client=nothing, meta=died)).ok


def test_no_silent_loss_counts_coalesced_quotes_and_queue_drops_as_reported() -> None:
    metrics = {"t": 3.0, "kind": "metrics", "queued": 0, "tasks": 1, "counters": {"quotes_coalesced": 2}}
    assert checks.no_silent_loss(history(server=sent(range(1, 6)), client=[*seen([1, 4, 5]), metrics])).ok
    drop = {
        "t": 2.0,
        "kind": "gap",
        "key": "C",
        "data": {"cause": "trade queue full", "target": Q, "dropped": 1},
    }
    assert not checks.no_silent_loss(history(server=sent(range(1, 6)), client=[*seen([1, 4, 5]), drop])).ok


def test_no_silent_loss_holds_a_drop_that_names_its_seqs_to_those_seqs() -> None:
    def drop(ranges: list[list[int]], dropped: int) -> dict[str, Any]:
        data = {"cause": "depth queue full", "target": Q, "dropped": dropped, "ranges": ranges}
        return {"t": 2.0, "kind": "gap", "key": "C", "data": data}

    assert checks.no_silent_loss(
        history(server=sent(range(1, 8)), client=[*seen([1, 5, 6, 7]), drop([[2, 4]], 3)])
    ).ok
    # Three dropped, but the drop names 5-7 (seen anyway), not the missing 2-4: a count would have
    # passed this (the CI run that found the reference client's unreported resync drops was one).
    verdict = checks.no_silent_loss(
        history(server=sent(range(1, 11)), client=[*seen([1, 5, 6, 7, 8, 9, 10]), drop([[5, 7]], 3)])
    )
    assert not verdict.ok
    assert "GatewayQuote/C': 3" in verdict.detail
    # Ranges capped by the client (fewer seqs than dropped): the rest counts as before.
    assert checks.no_silent_loss(
        history(server=sent(range(1, 8)), client=[*seen([1, 5, 6, 7]), drop([[2, 2]], 3)])
    ).ok


def test_no_silent_loss_ignores_the_last_second_and_refuses_an_empty_run() -> None:
    assert (
        checks.no_silent_loss(history(server=sent(range(1, 4), t=9.5), client=[])).ok is False
    )  # nothing tested
    assert checks.no_silent_loss(
        history(server=[*sent(range(1, 3)), *sent(range(3, 6), t=9.5)], client=seen([1, 2]))
    ).ok


def test_detected_within_needs_the_hub_to_leave_connected_in_time() -> None:
    faults = [{"t": 1.0, "action": "apply", "fault": "partition", "hub": "market", "params": {}}]
    quick = history(
        faults=faults,
        client=[
            state("market", 0.5, "connecting", "connected"),
            state("market", 2.0, "connected", "reconnecting"),
        ],
    )
    assert checks.detected_within(quick, "partition", 1.5).ok
    slow = history(
        faults=faults,
        client=[
            state("market", 0.5, "connecting", "connected"),
            state("market", 4.0, "connected", "reconnecting"),
        ],
    )
    assert not checks.detected_within(slow, "partition", 1.5).ok
    never = history(faults=faults, client=[state("market", 0.5, "connecting", "connected")])
    assert "never" in checks.detected_within(never, "partition", 1.5).detail
    assert not checks.detected_within(history(), "partition", 1.5).ok


def test_recovered_within_wants_the_hub_back_and_its_streams_flowing() -> None:
    changes = [
        state("market", 0.5, "connecting", "connected"),
        state("market", 2.0, "connected", "reconnecting"),
        state("market", 3.0, "reconnecting", "connected"),
    ]
    flowing = history(client=[*changes, *seen([5], t=3.5)])
    assert checks.recovered_within(flowing, 2.0, {Q: ["C"]}).ok
    silent = history(client=[*changes, *seen([5], t=1.0)])
    assert "silent" in checks.recovered_within(silent, 2.0, {Q: ["C"]}).detail
    never_back = history(client=changes[:2])
    assert not checks.recovered_within(never_back, 2.0).ok


def test_recovered_within_holds_a_stream_only_when_nothing_else_explains_its_silence() -> None:
    market = [state("market", 0.5, "connecting", "connected"), state("market", 2.0, "connected", "reconnecting"),
              state("market", 3.0, "reconnecting", "connected")]  # fmt: skip
    silent = history(client=[*market, *seen([5], t=1.0)])
    assert not checks.recovered_within(silent, 2.0, {Q: ["C"]}).ok
    # a new fault on the hub within the window: its own loss and recovery are judged, not this one
    refaulted = history(client=silent.client, faults=[{"t": 3.2, "action": "apply", "hub": "market"}])
    assert checks.recovered_within(refaulted, 2.0, {Q: ["C"]}).ok
    elsewhere = history(client=silent.client, faults=[{"t": 3.2, "action": "apply", "hub": "user"}])
    assert not checks.recovered_within(elsewhere, 2.0, {Q: ["C"]}).ok
    # the client unsubscribed that stream itself (churn) between the loss and the window's end
    churned = {"t": 2.5, "kind": "unsubscribed", "stream": "quotes", "key": "C", "ok": True}
    assert checks.recovered_within(history(client=[*silent.client, churned]), 2.0, {Q: ["C"]}).ok
    # a user hub's reconnect does not hold market streams to it (the market hub's loss does)
    user = [state("user", 0.5, "connecting", "connected"), state("user", 2.0, "connected", "reconnecting"),
            state("user", 3.0, "reconnecting", "connected")]  # fmt: skip
    assert checks.recovered_within(history(client=[*user, *seen([5], t=1.0)]), 2.0, {Q: ["C"]}).ok


def test_recovered_within_counts_from_the_last_clear_of_the_faults_in_force() -> None:
    """Two faults on a hub: it is free when the last one is cleared, and a clear is done when
    Toxiproxy answered (a held toxic's removal can take seconds), not when the first one ends."""
    market = [state("market", 0.5, "connecting", "connected"), state("market", 4.0, "connected", "reconnecting"),
              state("market", 21.0, "reconnecting", "connected")]  # fmt: skip

    def span(fault: str, start: float, end: float) -> list[dict[str, Any]]:
        return [{"t": start, "action": "apply", "fault": fault, "hub": "market"},
                {"t": end, "action": "clear", "fault": fault, "hub": "market", "asked": start + 2.5}]  # fmt: skip

    both = [*span("partition", 3.0, 20.6), *span("server:hub_down", 3.0, 5.2)]
    both.sort(key=lambda f: f["t"])
    assert checks.recovered_within(history(client=market, faults=both, meta={"end": 22.0}), 6.0).ok
    # the same reconnect with only the short fault in force is late
    short = span("server:hub_down", 3.0, 5.2)
    verdict = checks.recovered_within(history(client=market, faults=short, meta={"end": 22.0}), 6.0)
    assert not verdict.ok
    assert "market lost at 4.000" in verdict.detail
    # a fault cleared before the loss, or applied after the reconnect, holds nothing
    apart = [*span("latency", 0.6, 1.0), *span("partition", 3.0, 5.2), *span("refuse", 21.5, 30.0)]
    assert not checks.recovered_within(history(client=market, faults=apart, meta={"end": 22.0}), 6.0).ok
    # a fault applied while the hub was down counts too
    during = [*span("partition", 3.0, 5.2), *span("refuse", 5.0, 18.0)]
    assert checks.recovered_within(history(client=market, faults=during, meta={"end": 22.0}), 6.0).ok


def test_no_duplicate_subscriptions_catches_a_second_subscribe() -> None:
    good = {
        "a": [
            ["SubscribeContractQuotes", ["C"]],
            ["UnsubscribeContractQuotes", ["C"]],
            ["SubscribeContractQuotes", ["C"]],
        ]
    }
    assert checks.no_duplicate_subscriptions(history(meta={"subscribe_calls": good})).ok
    bad = {"a": [["SubscribeContractQuotes", ["C"]], ["SubscribeContractQuotes", ["C"]]]}
    assert not checks.no_duplicate_subscriptions(history(meta={"subscribe_calls": bad})).ok


def test_token_never_in_url_catches_a_query_token() -> None:
    header = {"t": 1.0, "requestLine": "GET /hubs/market?id=x HTTP/1.1", "token": {"source": "header"}}
    query = {
        "t": 1.0,
        "requestLine": "GET /hubs/market?id=x&access_token=*** HTTP/1.1",
        "token": {"source": "query"},
    }
    assert checks.token_never_in_url(history(requests=[header])).ok
    assert not checks.token_never_in_url(history(requests=[header, query])).ok
    assert not checks.token_never_in_url(history()).ok


def test_bounds_on_queues_tasks_and_closing() -> None:
    samples = [{"t": 1.0, "kind": "metrics", "queued": q, "tasks": 12, "counters": {}} for q in (3, 40)]
    assert checks.queues_bounded(history(client=samples), 50).ok
    assert not checks.queues_bounded(history(client=samples), 10).ok
    assert not checks.tasks_bounded(history(client=samples), 11).ok
    unreported = [{**e, "queued": None} for e in samples]
    verdict = checks.queues_bounded(history(client=unreported), 50)
    assert verdict.status == "unknown"  # the client cannot say: neither a pass nor a failure
    assert "does not report" in verdict.detail
    assert checks.no_deadlock(history(meta={"close_s": 0.2}), 5).ok
    assert not checks.no_deadlock(history(meta={"close_s": None}), 5).ok


def test_untouched_and_connected_at_end() -> None:
    steady = history(
        client=[state("user", 0.5, "connecting", "connected"), state("user", 10.5, "connected", "closed")]
    )
    assert checks.untouched(steady, "user").ok
    bumped = history(
        client=[
            state("user", 0.5, "connecting", "connected"),
            state("user", 3.0, "connected", "reconnecting"),
        ]
    )
    assert not checks.untouched(bumped, "user").ok
    upgrade = {"t": 1.0, "requestLine": "GET /hubs/user?id=a HTTP/1.1", "status": 101}
    assert checks.untouched(history(client=steady.client, requests=[upgrade]), "user").ok
    # reconnected faster than its state could be sampled: the server saw a second WebSocket
    blink = history(client=steady.client, requests=[upgrade, {**upgrade, "t": 5.0}])
    verdict = checks.untouched(blink, "user")
    assert not verdict.ok
    assert "2 WebSocket(s)" in verdict.detail
    both = history(
        client=[
            state("user", 0.5, "connecting", "connected"),
            state("market", 0.5, "connecting", "connected"),
        ]
    )
    assert checks.connected_at_end(both).ok
    assert not checks.connected_at_end(bumped).ok


def test_a_saved_history_checks_the_same_offline(tmp_path: Path) -> None:
    gap = {
        "t": 2.0,
        "kind": "gap",
        "key": "C",
        "data": {"cause": "seq", "target": Q, "after": 3, "before": 7},
    }
    run = history(server=sent(range(1, 10)), client=[*seen([1, 2, 3, 7, 8, 9]), gap])
    run.save(tmp_path / "history.jsonl")
    again = RunHistory.load(tmp_path / "history.jsonl")
    assert checks.no_silent_loss(again) == checks.no_silent_loss(run)


def test_no_silent_stall_catches_a_connected_hub_whose_stream_went_quiet() -> None:
    connected = state("market", 1.0, "connecting", "connected")
    flowing = history(client=[connected, *seen([1, 2], t=9.5)])
    assert checks.no_silent_stall(flowing, {Q: ["C"]}, 2.0).ok
    stalled = history(client=[connected, *seen([1, 2], t=3.0)])
    verdict = checks.no_silent_stall(stalled, {Q: ["C"]}, 2.0)
    assert not verdict.ok
    assert "GatewayQuote/C" in verdict.detail
    down = history(client=[connected, state("market", 4.0, "connected", "reconnecting"), *seen([1], t=3.0)])
    assert checks.no_silent_stall(down, {Q: ["C"]}, 2.0).ok  # not claimed live: other checks judge it


def test_no_silent_stall_names_the_hub_of_each_stalled_stream() -> None:
    user = {"t": 9.5, "kind": "order", "target": "GatewayUserOrder", "key": "7", "seq": None}
    run = history(
        client=[
            state("market", 1.0, "connecting", "connected"),
            state("user", 1.0, "connecting", "connected"),
        ]
    )
    verdict = checks.no_silent_stall(run, {Q: ["C"], "GatewayUserOrder": ["7"]}, 2.0)
    assert verdict.detail == (
        "market says connected, yet silent for 2.0 s: GatewayQuote/C; "
        "user says connected, yet silent for 2.0 s: GatewayUserOrder/7"
    )
    run.client.append(user)
    assert checks.no_silent_stall(run, {Q: ["C"], "GatewayUserOrder": ["7"]}, 2.0).detail == (
        "market says connected, yet silent for 2.0 s: GatewayQuote/C"
    )


def test_no_duplicate_delivery_by_seq_and_by_count() -> None:
    assert checks.no_duplicate_delivery(history(server=sent(range(1, 4)), client=seen([1, 2, 3]))).ok
    assert not checks.no_duplicate_delivery(history(server=sent(range(1, 4)), client=seen([1, 2, 2, 3]))).ok
    unsequenced = [{**e, "seq": None} for e in seen([1, 2, 3, 4])]
    twice_sent = sent(range(1, 4)) + sent(range(2, 3))  # the server sent seq 2 twice (a fault)
    verdict = checks.no_duplicate_delivery(history(server=twice_sent, client=unsequenced))
    assert not verdict.ok
    assert verdict.detail == "1 duplicate deliveries"
    assert checks.no_duplicate_delivery(history(server=twice_sent, client=unsequenced[:3])).ok


def test_a_client_called_back_per_entry_is_counted_in_entries() -> None:
    depth = [{**e, "target": "GatewayDepth", "entries": 3} for e in sent(range(1, 4))]
    per_entry = [{**e, "target": "GatewayDepth", "seq": None} for e in seen(list(range(9)))]
    meta = {"client_entries": ["GatewayDepth"]}
    assert checks.no_duplicate_delivery(history(server=depth, client=per_entry, meta=meta)).ok
    assert checks.no_silent_loss(history(server=depth, client=per_entry, meta=meta)).ok
    lost = checks.no_silent_loss(history(server=depth, client=per_entry[:7], meta=meta))
    assert not lost.ok
    assert "GatewayDepth/C': 2" in lost.detail
    twice = checks.no_duplicate_delivery(history(server=depth, client=per_entry * 2, meta=meta))
    assert twice.detail == "9 duplicate deliveries"
    # Counted per message, the same nine callbacks are six duplicates: what the meta key is for.
    assert (
        checks.no_duplicate_delivery(history(server=depth, client=per_entry)).detail
        == "6 duplicate deliveries"
    )


def test_fresh_token_after_wants_a_new_token_and_no_going_back() -> None:
    def hub(t: float, fingerprint: str) -> dict[str, Any]:
        return {
            "t": t,
            "requestLine": "POST /hubs/market/negotiate HTTP/1.1",
            "token": {"fingerprint": fingerprint},
        }

    rest = {"t": 6.0, "requestLine": "POST /api/Auth/loginKey HTTP/1.1", "token": {"fingerprint": "a"}}
    assert checks.fresh_token_after(history(requests=[hub(1.0, "a"), hub(6.0, "b"), rest]), 5.0).ok
    refused_once = [hub(1.0, "a"), hub(5.5, "a"), hub(6.0, "b")]  # a revoked token: refused, then a new one
    assert checks.fresh_token_after(history(requests=refused_once), 5.0).ok
    stale = checks.fresh_token_after(history(requests=[hub(1.0, "a"), hub(6.0, "a"), hub(7.0, "a")]), 5.0)
    assert not stale.ok
    assert "all 2" in stale.detail
    assert not checks.fresh_token_after(history(requests=[*refused_once, hub(7.0, "a")]), 5.0).ok
    assert checks.fresh_token_after(history(requests=[hub(1.0, "a")]), 5.0).ok  # nothing after: nothing stale


def test_stayed_away_wants_no_connect_attempt_after_a_refusal() -> None:
    def request(t: float, line: str) -> dict[str, Any]:
        return {"t": t, "requestLine": line, "status": 200}

    before = [
        request(1.0, "POST /hubs/market/negotiate?negotiateVersion=1"),
        request(1.1, "GET /hubs/market?id=a"),
    ]
    assert checks.stayed_away(history(requests=before), "market", 2.0).ok
    again = [*before, request(3.2, "POST /hubs/market/negotiate?negotiateVersion=1")]
    verdict = checks.stayed_away(history(requests=again), "market", 2.0)
    assert not verdict.ok
    assert verdict.detail == "1 attempt(s) to connect market after it was refused, the first 1.20 s after"
    upgrade_only = [
        request(1.0, "GET /hubs/market?access_token=x"),
        request(4.0, "GET /hubs/market?access_token=x"),
    ]
    assert not checks.stayed_away(history(requests=upgrade_only), "market", 2.0).ok  # skips negotiate
    assert checks.stayed_away(history(requests=again), "user", 2.0).ok


def test_retries_back_off_wants_growing_gaps_and_lets_a_client_that_barely_tried_pass() -> None:
    growing = [0.0, 0.1, 0.3, 0.7, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert checks.retries_back_off(growing).ok
    fixed = [float(t) for t in range(12)]  # once a second, as signalrcore's keep-alive tick does
    verdict = checks.retries_back_off(fixed)
    assert not verdict.ok
    assert "1.00 s at first, 1.00 s at the end" in verdict.detail
    assert checks.retries_back_off([0.0, 1.0]).ok  # two attempts hammer nothing; coming back is judged apart


def test_tasks_bounded_can_judge_what_a_burst_added_to_what_the_client_always_runs() -> None:
    def sample(t: float, tasks: int) -> dict[str, Any]:
        return {"t": t, "kind": "metrics", "queued": None, "tasks": tasks, "counters": {}}

    steady_machinery = history(client=[sample(1.0, 12), sample(2.0, 13), sample(3.0, 21)])
    assert not checks.tasks_bounded(steady_machinery, 20).ok
    assert checks.tasks_bounded(steady_machinery, 20, growth_after=2.5).ok  # 8 more than before
    flood = history(client=[sample(1.0, 12), sample(3.0, 853)])
    verdict = checks.tasks_bounded(flood, 20, growth_after=2.5)
    assert not verdict.ok
    assert "841 more" in verdict.detail
    backlog_worked_through = history(client=[sample(1.0, 5), sample(2.0, 37), sample(3.0, 6)])
    assert not checks.tasks_bounded(backlog_worked_through, 20).ok
    assert checks.tasks_bounded(backlog_worked_through, 20, at_end=True).ok  # none leaked
    leak = history(client=[sample(1.0, 5), sample(3.0, 26)])
    assert not checks.tasks_bounded(leak, 20, at_end=True).ok
    assert checks.tasks_bounded(history(client=[]), 20, at_end=True).status == "unknown"


def test_the_subscription_methods_are_the_simulated_hubs_own() -> None:
    """What a run collects as subscribe calls is every (un)subscribe method the hubs expose."""
    from harness.infra.gateway import SUBSCRIPTION_METHODS
    from simulator.projectx.market_hub import MarketHub
    from simulator.projectx.user_hub import UserHub

    exposed = {
        getattr(method, "__hub_method_name__", None)
        for hub in (MarketHub, UserHub)
        for method in vars(hub).values()
    }
    assert {m for m in exposed if m and "ubscribe" in m} == SUBSCRIPTION_METHODS
