"""A capture made into a scenario file: each way a connection ended becomes its step, at its time
from the client's first subscription, with the capture line it came from; the stream becomes the
recording; both files or neither."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from harness.incident.build import CaptureError, build
from harness.incident.scenario import load

C = "CON.F.US.MNQ.Z26"


def capture(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    header = {"kind": "capture", "version": 1, "t": 0.0, "started": "2026-12-02T07:00:00Z",
              "upstream": "http://127.0.0.1:5000", "listen": "127.0.0.1:7000", "silence_s": 2.0}  # fmt: skip
    path = tmp_path / "incident.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in [header, *entries]))
    return path


def quote(t: float, conn: str = "market-1") -> dict[str, Any]:
    return {"kind": "record", "t": t, "conn": conn, "hub": "market", "from": "server", "type": "invocation",
            "target": "GatewayQuote", "arguments": [C, {"symbol": "MNQ", "lastPrice": 21000.25}], "bytes": 90}  # fmt: skip


SESSION: list[dict[str, Any]] = [
    {"kind": "rest", "t": 0.1, "method": "POST", "path": "/api/Auth/loginKey", "status": 200},
    {"kind": "negotiate", "t": 0.2, "hub": "market", "negotiate_version": 1, "status": 200},
    {"kind": "open", "t": 0.3, "conn": "market-1", "hub": "market", "status": 101},
    {"kind": "open", "t": 0.3, "conn": "user-1", "hub": "user", "status": 101},
    {"kind": "record", "t": 1.0, "conn": "market-1", "hub": "market", "from": "client", "type": "invocation",
     "target": "SubscribeContractQuotes", "arguments": [C]},
    {"kind": "record", "t": 1.0, "conn": "market-1", "hub": "market", "from": "client", "type": "invocation",
     "target": "SubscribeContractMarketDepth", "arguments": [C]},
    quote(1.5),
    {"kind": "record", "t": 1.6, "conn": "user-1", "hub": "user", "from": "server", "type": "invocation",
     "target": "GatewayUserOrder", "arguments": [{"accountId": 7, "id": 1}]},
    {"kind": "record", "t": 1.7, "conn": "market-1", "hub": "market", "from": "server", "type": "ping"},
    {"kind": "close", "t": 3.0, "conn": "market-1", "hub": "market", "by": "server", "how": "close_message",
     "code": 1000, "error": "Server timeout elapsed", "allow_reconnect": True},
    {"kind": "negotiate", "t": 3.5, "hub": "market", "status": 401},
    {"kind": "negotiate", "t": 4.0, "hub": "market", "status": 503},
    {"kind": "negotiate", "t": 4.5, "hub": "market", "status": 503},
    {"kind": "negotiate", "t": 6.0, "hub": "market", "status": 200},
    {"kind": "open", "t": 6.1, "conn": "market-2", "hub": "market", "status": 101},
    quote(6.5, "market-2"),
    {"kind": "silence", "t": 6.5, "conn": "market-2", "hub": "market", "from": "server", "lasted_s": 2.5,
     "ended": "record"},
    quote(9.0, "market-2"),
    {"kind": "close", "t": 10.0, "conn": "user-1", "hub": "user", "by": "server", "how": "reset", "code": 1006},
    {"kind": "close", "t": 11.0, "conn": "market-2", "hub": "market", "by": "client", "how": "websocket_close",
     "code": 1000},
    {"kind": "end", "t": 11.2, "reason": "signal", "connections": 3, "records": 8, "rest": 1},
]  # fmt: skip


def test_each_way_a_connection_ended_becomes_its_step_at_its_time(tmp_path: Path) -> None:
    made = build(capture(tmp_path, SESSION), tmp_path / "incident.toml")
    scenario = load(made.scenario)
    steps = [(s.at_s, s.fault, s.hub, s.duration_s, s.params) for s in scenario.timeline.steps]
    assert steps == [
        (2.0, "server_close", "market", None, {"error": "Server timeout elapsed", "allow_reconnect": True}),
        (2.0, "expire_tokens", "user", None, {}),  # when the connection before the 401 ended
        (3.0, "server:negotiate_status", "market", 2.0, {"status": 503}),  # until negotiate answered 200
        (5.5, "partition", "market", 2.5, {"heal": "hold"}),  # silent, then the stream went on
        (9.0, "server_abort", "user", None, {"reset": True}),
    ]
    assert scenario.provenance[0].startswith("capture line 11: market-1: the server's Close")
    assert (scenario.contracts, scenario.streams, scenario.length_s) == ((C,), ("quotes", "depth"), 10.2)
    assert any("client closed market-2" in note for note in made.notes)  # the client's own doing: no step
    events = [orjson.loads(line) for line in made.recording.read_bytes().splitlines()]
    assert [(e["t"], e["hub"], e["target"], e["key"]) for e in events] == [
        (0.5, "market", "GatewayQuote", C),
        (0.6, "user", "GatewayUserOrder", "7"),
        (5.5, "market", "GatewayQuote", C),
        (8.0, "market", "GatewayQuote", C),
    ]
    assert scenario.recording == made.recording


def test_a_step_before_the_client_subscribed_is_left_out_and_said(tmp_path: Path) -> None:
    early = [*SESSION[:4], {"kind": "close", "t": 0.5, "conn": "user-1", "hub": "user", "by": "server",
                            "how": "eof"}, *SESSION[4:7]]  # fmt: skip
    made = build(capture(tmp_path, early), tmp_path / "incident.toml")
    assert load(made.scenario).timeline.steps == []
    assert any("before the client subscribed" in note for note in made.notes)


def test_what_exists_is_kept_unless_forced(tmp_path: Path) -> None:
    path = capture(tmp_path, SESSION)
    (tmp_path / "incident.toml").write_text("mine")
    with pytest.raises(CaptureError, match="exists"):
        build(path, tmp_path / "incident.toml")
    assert (tmp_path / "incident.toml").read_text() == "mine"
    assert not (tmp_path / "incident.recording.jsonl").exists()
    build(path, tmp_path / "incident.toml", force=True)
    assert load(tmp_path / "incident.toml").title.startswith("Captured: server_close (market)")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"kind": "rest", "t": 0}\n', "line 1: not a capture"),
        (b'{"kind": "capture", "version": 1, "t": 0}\nnot json\n', "line 2: not JSON"),
        (b'{"kind": "capture", "version": 1, "t": 0}\n{"t": 1}\n', "line 2: not a capture entry"),
    ],
)
def test_a_bad_capture_is_refused_with_its_line_and_nothing_is_written(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "incident.jsonl"
    path.write_bytes(content)
    with pytest.raises(CaptureError, match=reason):
        build(path, tmp_path / "incident.toml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incident.jsonl"]


def test_the_captured_products_are_listed_by_the_replaying_simulator(tmp_path: Path) -> None:
    gold = [
        {**e, "arguments": ["CON.F.US.MGC.Z26"]} if e.get("target", "").startswith("Subscribe") else e
        for e in SESSION
    ]
    scenario = load(build(capture(tmp_path, gold), tmp_path / "incident.toml").scenario)
    assert scenario.contracts == ("CON.F.US.MGC.Z26",)
    assert scenario.simulator[-2:] == ("--symbols", "MGC")


def test_a_recording_that_stops_short_gives_way_to_a_generated_stream_at_the_captured_rates(
    tmp_path: Path,
) -> None:
    # quotes every 0.25 s for 2 s after the subscription, then nothing while the capture runs 8 s more
    flowing = [quote(1.0 + i * 0.25) for i in range(9)]
    ended = {"kind": "end", "t": 11.0, "reason": "signal", "connections": 2, "records": 9, "rest": 0}
    made = build(capture(tmp_path, [*SESSION[:6], *flowing, ended]), tmp_path / "incident.toml")
    scenario = load(made.scenario)
    assert made.stream == "generated"
    assert scenario.recording is None
    assert scenario.simulator_flags()[:6] == ["--quote-rate", "4", "--trade-rate", "0", "--depth-rate", "0"]
    assert any("stops short (GatewayQuote CON.F.US.MNQ.Z26 ends at 2.0 s of 10.0 s)" in n for n in made.notes)
    assert made.recording.exists()  # kept, for whoever wants to play it anyway
    assert build(capture(tmp_path, SESSION), tmp_path / "whole.toml").stream == "recording"
