"""What a history says happened: fault spans with their clearing apart, the moments a client lost
and regained a hub (with its reasons), losses placed where they were sent, and the counts."""

from __future__ import annotations

import pytest

from harness.run.history import FaultSpan
from harness.run.report import story
from harness.run.report.story import Flow, Moment

from .history_fixture import HEARTBEAT, partitioned_run, state


def test_a_fault_is_active_until_its_clear_is_asked_and_clearing_until_it_is_done() -> None:
    [span] = partitioned_run().fault_spans()
    assert span == FaultSpan("partition", "market", 101.0, 103.5, 108.0)
    assert span.describe(100.0) == (
        "partition on the market hub from 1.00 s to 3.50 s (2.50 s); clearing it took until 8.00 s"
    )


def test_a_fault_never_cleared_lasts_to_the_end_and_a_clear_without_asked_is_instant() -> None:
    history = partitioned_run()
    history.faults = [
        {"t": 101.0, "action": "apply", "fault": "latency", "hub": "user", "params": {"ms": 150}},
        {"t": 101.5, "action": "apply", "fault": "reset", "hub": "market", "params": {}},
        {
            "t": 102.0,
            "action": "clear",
            "fault": "reset",
            "hub": "market",
            "params": {},
        },  # a run before "asked"
    ]
    spans = history.fault_spans()
    assert spans == [
        FaultSpan("latency", "user", 101.0, None, None, {"ms": 150}),
        FaultSpan("reset", "market", 101.5, 102.0, 102.0),
    ]
    assert spans[0].describe(100.0) == "latency (ms=150) on the user hub from 1.00 s, never cleared"


def test_moments_say_when_the_client_noticed_and_came_back_in_its_own_words() -> None:
    assert story.moments(partitioned_run()) == [
        Moment(102.0, 0, "market", "lost", HEARTBEAT, "1.00 s after the partition began"),
        Moment(
            104.0, 0, "market", "back", "", "2.00 s after it was lost, 0.50 s after the partition was lifted"
        ),
    ]  # the first connect and the closes at the end are not moments


def test_with_two_faults_on_a_hub_the_moments_name_both_and_count_from_the_last_lifted() -> None:
    """A partition and a hub-down begun together: the loss names both; the reconnect is counted
    from the partition, lifted last (its removal done at 106 s), as ``recovered`` counts it."""
    history = partitioned_run()
    history.client = [e for e in history.client if e.get("kind") != "state" or e["t"] < 102.0]
    history.client += [
        state(102.0, "market", "connected", "reconnecting", HEARTBEAT),
        state(106.5, "market", "reconnecting", "connected"),
    ]
    history.faults = [
        {"t": 101.0, "action": "apply", "fault": "partition", "hub": "market", "params": {}},
        {"t": 101.0, "action": "apply", "fault": "server:hub_down", "hub": "market", "params": {}},
        {"t": 103.0, "action": "clear", "fault": "server:hub_down", "hub": "market", "asked": 103.0},
        {"t": 106.0, "action": "clear", "fault": "partition", "hub": "market", "asked": 103.5},
    ]
    lost, back = story.moments(history)
    assert lost.note == "1.00 s after the partition and server:hub_down began"
    assert back.note == (
        "4.50 s after it was lost, 3.00 s after the partition was lifted (0.50 s after its removal was done)"
    )


def test_a_client_that_gives_up_says_so() -> None:
    history = partitioned_run()
    history.client.append(state(105.0, "user", "connected", "failed", "gave up after 3 attempts"))
    [gave_up] = [m for m in story.moments(history) if m.hub == "user"]
    assert (gave_up.kind, gave_up.said, gave_up.note) == (
        "gave up",
        "gave up after 3 attempts",
        "no fault before it",
    )


def test_a_herd_losing_a_hub_at_once_is_one_moment_of_several_clients() -> None:
    history = partitioned_run()
    history.client += [
        state(100.1, "market", "connecting", "connected", client_index=1),
        state(102.1, "market", "connected", "reconnecting", HEARTBEAT, client_index=1),
    ]
    groups = story.grouped(story.moments(history))
    assert [[(m.client, m.kind) for m in g] for g in groups] == [[(0, "lost"), (1, "lost")], [(0, "back")]]
    assert story.clients(history) == [0, 1]
    assert set(story.state_spans(history)) == {(0, "user"), (0, "market"), (1, "market")}


def test_states_last_until_the_next_change() -> None:
    market = story.state_spans(partitioned_run())[(0, "market")]
    assert [(s.state, s.start, s.end) for s in market] == [
        ("connecting", 100.0, 100.1),
        ("connected", 100.1, 102.0),
        ("reconnecting", 102.0, 104.0),
        ("connected", 104.0, 110.5),
        ("closed", 110.5, 110.5),
    ]
    assert market[2].reason == HEARTBEAT


def test_losses_are_placed_where_the_messages_were_sent() -> None:
    reported, silent = story.losses(partitioned_run())
    assert (reported.hub, reported.stream, reported.count, reported.how) == (
        "market",
        "GatewayQuote/CON.F.US.MNQ.Z26",
        15,
        "reported",
    )
    assert (reported.start, reported.end, reported.t_reported) == pytest.approx((102.0, 103.4, 104.1))
    assert (silent.how, silent.count) == ("silent", 1)
    assert silent.start == pytest.approx(104.1)  # seq 40: neither received nor in a gap


def test_flows_count_sent_received_reported_and_neither() -> None:
    assert story.flows(partitioned_run()) == [Flow("market", 80, 64, 15, 0, 1)]


def test_quotes_the_client_says_it_coalesced_are_not_counted_as_silent() -> None:
    history = partitioned_run()
    history.client.append(
        {"t": 109.0, "kind": "metrics", "queued": 0, "tasks": 4, "counters": {"quotes_coalesced": 1}}
    )
    assert [loss.how for loss in story.losses(history)] == ["reported", "coalesced"]
    assert story.flows(history) == [Flow("market", 80, 64, 15, 1, 0)]


def test_a_client_without_sequence_numbers_is_counted_not_matched() -> None:
    history = partitioned_run()
    for e in history.client:
        e.pop("seq", None)
    [flow] = story.flows(history)
    assert (flow.received, flow.unreported) == (64, None)


def test_rates_are_messages_per_second_in_each_bin() -> None:
    sent, received = story.rates(partitioned_run(), "market", [100.0, 101.0, 102.0, 103.0])
    assert sent == [8.0, 10.0, 10.0]  # 100.2 .. 100.9, then ten a second
    assert received[2] == 0.0  # 102.0 .. 103.0 all lost


def test_metrics_are_the_measures_the_client_reports_and_counters_that_moved() -> None:
    series = story.metric_series(partitioned_run())
    assert list(series) == ["queued", "tasks"]  # loop lag is null throughout: not drawn
    assert series["queued"][0][:3] == [(100.0, 0), (101.0, 1), (102.0, 2)]
    assert story.counters_at_end(partitioned_run()) == {"reconnects": 1}
