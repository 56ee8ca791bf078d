"""Records decoded per direction from the payloads the proxy forwards, both hub protocols."""

from __future__ import annotations

import datetime as dt

import msgpack
import orjson

from harness.capture.capture_file import dumps
from harness.capture.records import FRAMING_LOST, RecordTap
from harness.capture.redaction import fingerprint
from signalr_protocol import (
    JSON,
    MESSAGEPACK,
    PING,
    Ack,
    CancelInvocation,
    Close,
    Completion,
    HandshakeRequest,
    HandshakeResponse,
    Invocation,
    Sequence,
    StreamInvocation,
    StreamItem,
)

QUOTE = Invocation("GatewayQuote", ["CON.F.US.MNQ.Z26", {"bestBid": 1.5, "bestAsk": 1.75}])


def opened(protocol: str = "json") -> RecordTap:
    tap = RecordTap()
    record = HandshakeRequest(protocol, 1).encode()
    [request] = tap.client_data(record)
    assert request == {"type": "handshake_request", "bytes": len(record), "protocol": protocol, "version": 1}
    return tap


def test_handshake_response_and_records_coalesced_in_one_message() -> None:
    tap = opened()
    quote = JSON.encode(QUOTE)
    fields = tap.server_data(HandshakeResponse().encode() + quote + JSON.encode(PING))
    assert [f["type"] for f in fields] == ["handshake_response", "invocation", "ping"]
    assert fields[0] == {"type": "handshake_response", "bytes": 3, "error": None}
    assert fields[1] == {
        "type": "invocation",
        "bytes": len(quote),
        "target": "GatewayQuote",
        "arguments": ["CON.F.US.MNQ.Z26", {"bestBid": 1.5, "bestAsk": 1.75}],
    }


def test_records_split_across_messages_are_joined() -> None:
    tap = opened()
    tap.server_data(HandshakeResponse().encode())
    record = JSON.encode(QUOTE)
    assert tap.server_data(record[:10]) == []
    [whole] = tap.server_data(record[10:])
    assert whole["bytes"] == len(record)


def test_every_message_type_has_its_fields() -> None:
    tap = opened()
    tap.server_data(HandshakeResponse().encode())
    messages = [
        Invocation("SubscribeContractQuotes", ["C"], invocation_id="1", headers={"h": "v"}),
        StreamItem("2", {"n": 1}),
        Completion.with_result("1", None),
        Completion.with_error("3", "It didn't work!"),
        StreamInvocation("4", "Counter", [5]),
        CancelInvocation("4"),
        Close("Server is restarting.", allow_reconnect=True),
        Ack(7),
        Sequence(8),
    ]
    fields = tap.client_data(b"".join(JSON.encode(m) for m in messages))
    stripped = [{k: v for k, v in f.items() if k != "bytes"} for f in fields]
    assert stripped == [
        {
            "type": "invocation",
            "target": "SubscribeContractQuotes",
            "arguments": ["C"],
            "invocation_id": "1",
            "headers": {"h": "v"},
        },
        {"type": "stream_item", "invocation_id": "2", "item": {"n": 1}},
        {"type": "completion", "invocation_id": "1", "result": None},
        {"type": "completion", "invocation_id": "3", "error": "It didn't work!"},
        {"type": "stream_invocation", "invocation_id": "4", "target": "Counter", "arguments": [5]},
        {"type": "cancel_invocation", "invocation_id": "4"},
        {"type": "close", "error": "Server is restarting.", "allow_reconnect": True},
        {"type": "ack", "sequence_id": 7},
        {"type": "sequence", "sequence_id": 8},
    ]


def test_messagepack_after_a_json_handshake_in_the_same_message() -> None:
    tap = opened("messagepack")
    quote = MESSAGEPACK.encode(QUOTE)
    fields = tap.server_data(HandshakeResponse().encode() + quote + MESSAGEPACK.encode(PING))
    assert [f["type"] for f in fields] == ["handshake_response", "invocation", "ping"]
    assert fields[1]["bytes"] == len(quote)
    assert fields[2]["bytes"] == 3


def test_messagepack_values_become_json_safe() -> None:
    tap = opened("messagepack")
    tap.server_data(HandshakeResponse().encode())
    when = msgpack.Timestamp.from_datetime(dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC))
    [fields] = tap.server_data(MESSAGEPACK.encode(Invocation("Blob", [b"\x00\x01", when])))
    line = orjson.loads(dumps({"kind": "record", "t": 0.0, **fields}))
    assert line["arguments"] == [{"base64": "AAE="}, "2026-12-02T12:00:00+00:00"]


def test_hub_arguments_are_redacted() -> None:
    tap = opened()
    tap.server_data(HandshakeResponse().encode())
    jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.sig"
    [fields] = tap.client_data(JSON.encode(Invocation("Login", [{"apiKey": "k"}, jwt])))
    assert fields["arguments"] == [{"apiKey": {"redacted": fingerprint("k")}}, {"redacted": fingerprint(jwt)}]


def test_bad_records_are_unparsable_and_decoding_goes_on() -> None:
    tap = opened()
    tap.server_data(HandshakeResponse().encode())
    fields = tap.server_data(b"{nope\x1e" + b'{"type":99}\x1e' + JSON.encode(PING))
    assert [f["type"] for f in fields] == ["unparsable", "unparsable", "ping"]
    assert fields[0]["bytes"] == 6
    assert fields[0]["error"].startswith("Error reading JSON")
    assert fields[1]["error"] == "unknown message type"


def test_a_framing_error_loses_the_direction_for_good() -> None:
    tap = opened("messagepack")
    tap.server_data(HandshakeResponse().encode())
    [broken] = tap.server_data(b"\xff\xff\xff\xff\xff\x01")
    assert broken["type"] == "unparsable"
    assert broken["error"].startswith(FRAMING_LOST)
    [later] = tap.server_data(MESSAGEPACK.encode(PING))
    assert later == {"type": "unparsable", "bytes": 3, "error": FRAMING_LOST}
    assert tap.client_data(MESSAGEPACK.encode(PING)) == [{"type": "ping", "bytes": 3}]


def test_an_unknown_protocol_leaves_records_undecoded() -> None:
    tap = RecordTap()
    [request] = tap.client_data(HandshakeRequest("xml", 1).encode())
    assert request["protocol"] == "xml"
    [error] = tap.server_data(HandshakeResponse("The protocol 'xml' is not supported.").encode())
    assert error["error"] == "The protocol 'xml' is not supported."
    [rest] = tap.client_data(b"<ping/>")
    assert rest["type"] == "unparsable"


def test_a_malformed_handshake_is_unparsable() -> None:
    tap = RecordTap()
    [bad] = tap.client_data(b"hello\x1e")
    assert bad["type"] == "unparsable"
    assert bad["bytes"] == 6


def test_a_record_that_never_ends_is_a_framing_error_not_a_memory_leak() -> None:
    tap = RecordTap(max_record_bytes=100)
    [handshake] = tap.client_data(b"{" + b" " * 200)
    assert handshake["type"] == "unparsable"
    assert "no handshake record within 100 bytes" in handshake["error"]
    tap = opened()
    tap.server_data(HandshakeResponse().encode())
    assert tap.server_data(b'{"type":1,' + b" " * 50) == []
    _, broken = RecordTap(max_record_bytes=10).client_data(HandshakeRequest("json", 1).encode() + b" " * 20)
    assert broken["error"].startswith(FRAMING_LOST)
