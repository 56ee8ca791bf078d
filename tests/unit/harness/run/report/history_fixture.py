"""A small run's history, made by hand: the market hub partitioned at 101 s, its clear asked at
103.5 s and done at 108 s; the client notices at 102 s and is back at 104 s; of 80 quotes sent,
15 are reported lost in one gap and one is neither received nor reported."""

from __future__ import annotations

from typing import Any

from harness.run.history import RunHistory

HEARTBEAT = "heartbeat not answered within 1.0 s"
QUOTE = ("GatewayQuote", "CON.F.US.MNQ.Z26")


def state(t: float, hub: str, old: str, new: str, reason: str | None = None, **tag: Any) -> dict[str, Any]:
    return {"t": t, "kind": "state", "hub": hub, "data": {"from": old, "to": new, "reason": reason}, **tag}


def partitioned_run() -> RunHistory:
    history = RunHistory(
        meta={"scenario": "test_x[reference]", "seed": 7, "client": "reference", "end": 110.0}
    )
    for hub in ("user", "market"):
        history.client += [
            state(100.0, hub, "disconnected", "connecting"),
            state(100.1, hub, "connecting", "connected"),
        ]
    history.client += [
        state(102.0, "market", "connected", "reconnecting", HEARTBEAT),
        state(104.0, "market", "reconnecting", "connected"),
    ]
    sends = {seq: 100.2 + 0.1 * (seq - 1) for seq in range(1, 81)}
    history.server = [
        {"t": t, "hub": "market", "type": 1, "target": QUOTE[0], "key": QUOTE[1], "seq": seq}
        for seq, t in sends.items()
    ]
    lost = set(range(19, 34)) | {40}
    history.client += [
        {"t": t + 0.01, "kind": "quote", "hub": "market", "target": QUOTE[0], "key": QUOTE[1], "seq": seq}
        for seq, t in sends.items()
        if seq not in lost
    ]
    gap = {"cause": "seq", "target": QUOTE[0], "after": 18, "before": 34, "dropped": 15}
    history.client.append({"t": 104.1, "kind": "gap", "key": QUOTE[1], "data": gap})
    history.client += [
        {
            "t": 100.0 + i,
            "kind": "metrics",
            "queued": i % 3,
            "tasks": 4,
            "loop_lag_ms": None,
            "counters": {"reconnects": int(i > 4)},
        }
        for i in range(10)
    ]
    history.client += [
        state(110.5, hub, "connected", "closed", "closed by the client") for hub in ("user", "market")
    ]
    history.client.sort(key=lambda e: e["t"])
    history.faults = [
        {"t": 101.0, "action": "apply", "fault": "partition", "hub": "market", "params": {}},
        {"t": 108.0, "action": "clear", "fault": "partition", "hub": "market", "params": {}, "asked": 103.5},
    ]
    return history
