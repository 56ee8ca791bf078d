import pytest

from signalr_protocol import (
    JSON,
    PING,
    Ack,
    CancelInvocation,
    Close,
    Completion,
    Invocation,
    ProtocolError,
    Sequence,
    StreamInvocation,
    StreamItem,
)


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (Invocation("Add", [40, 2], "1"), '{"type":1,"invocationId":"1","target":"Add","arguments":[40,2]}'),
        (Invocation("Send", ["x"]), '{"type":1,"target":"Send","arguments":["x"]}'),
        (StreamItem("1", 42), '{"type":2,"invocationId":"1","item":42}'),
        (Completion.with_result("1", 42), '{"type":3,"invocationId":"1","result":42}'),
        (Completion.with_result("1", None), '{"type":3,"invocationId":"1","result":null}'),
        (
            Completion.with_error("1", "It didn't work!"),
            '{"type":3,"invocationId":"1","error":"It didn\'t work!"}',
        ),
        (Completion.void("1"), '{"type":3,"invocationId":"1"}'),
        (
            StreamInvocation("1", "Counter", [5]),
            '{"type":4,"invocationId":"1","target":"Counter","arguments":[5]}',
        ),
        (CancelInvocation("1"), '{"type":5,"invocationId":"1"}'),
        (PING, '{"type":6}'),
        (Close(), '{"type":7}'),
        (Close("boom", allow_reconnect=True), '{"type":7,"error":"boom","allowReconnect":true}'),
        (Ack(1394), '{"type":8,"sequenceId":1394}'),
        (Sequence(1234), '{"type":9,"sequenceId":1234}'),
    ],
)
def test_encodes_the_spec_wire_form_and_decodes_it_back(message: object, wire: str) -> None:
    record = JSON.encode(message)  # type: ignore[arg-type]
    assert record == wire.encode() + b"\x1e"
    assert JSON.decode(wire.encode()) == message


def test_headers_are_written_and_read() -> None:
    message = Invocation("t", [], headers={"seq": "7"})
    assert b'"headers":{"seq":"7"}' in JSON.encode(message)
    assert JSON.decode(JSON.encode(message)[:-1]) == message


def test_unknown_message_type_is_ignored() -> None:
    assert JSON.decode(b'{"type":99,"whatever":1}') is None


def test_unknown_properties_are_ignored() -> None:
    assert JSON.decode(b'{"type":6,"extra":[1,2]}') == PING


@pytest.mark.parametrize(
    ("record", "error"),
    [
        (b"not json", "Error reading JSON"),
        (b"[1,2]", "Expected a JSON object"),
        (b"{}", "Missing required property 'type'"),
        (b'{"type":"1"}', "Expected 'type'"),
        (b'{"type":true}', "Expected 'type'"),
        (b'{"type":1,"arguments":[]}', "Missing required property 'target'"),
        (b'{"type":1,"target":"x"}', "Missing required property 'arguments'"),
        (b'{"type":3}', "Missing required property 'invocationId'"),
        (b'{"type":3,"invocationId":"1","result":1,"error":"x"}', "mutually exclusive"),
        (b'{"type":1,"target":"x","arguments":[],"headers":{"a":1}}', "header values"),
        (b'{"type":6,"x":NaN}', "Error reading JSON"),
        (b"\xff\xfe", "Error reading JSON"),
    ],
)
def test_malformed_records_raise_protocol_error(record: bytes, error: str) -> None:
    with pytest.raises(ProtocolError, match=error):
        JSON.decode(record)
