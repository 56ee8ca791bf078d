import msgpack
import pytest

from signalr_protocol import MESSAGEPACK, PING, Close, Completion, Invocation, ProtocolError


@pytest.mark.parametrize(
    ("message", "wire_hex"),
    [
        (PING, "029106"),
        (Completion.void("1"), "06940380a13102"),
        (Invocation("tick", [1]), "0c960180c0a47469636b910190"),
        (Close("xyz", allow_reconnect=True), "079307a378797ac3"),
    ],
)
def test_encodes_the_spec_wire_examples_byte_for_byte(message: object, wire_hex: str) -> None:
    assert MESSAGEPACK.encode(message).hex() == wire_hex  # type: ignore[arg-type]


def test_accepts_five_element_invocations_and_two_element_close() -> None:
    assert MESSAGEPACK.decode(msgpack.packb([1, {}, None, "t", [1]])) == Invocation("t", [1])
    assert MESSAGEPACK.decode(msgpack.packb([7, "bye"])) == Close("bye")


def test_completion_result_kinds() -> None:
    assert MESSAGEPACK.decode(msgpack.packb([3, {}, "1", 1, "err"])) == Completion.with_error("1", "err")
    assert MESSAGEPACK.decode(msgpack.packb([3, {}, "1", 3, None])) == Completion.with_result("1", None)
    with pytest.raises(ProtocolError, match="result kind"):
        MESSAGEPACK.decode(msgpack.packb([3, {}, "1", 4]))


def test_unknown_message_type_is_ignored() -> None:
    assert MESSAGEPACK.decode(msgpack.packb([42, "future"])) is None


@pytest.mark.parametrize(
    "payload",
    [
        b"\xc1",  # never-used msgpack byte
        msgpack.packb({"type": 1}),
        msgpack.packb([]),
        msgpack.packb(["1"]),
        msgpack.packb([1, {}, None, "t"]),  # arguments missing
        msgpack.packb([1, {}, 5, "t", []]),  # invocation id not a string
        msgpack.packb([6]) + b"\x00",  # trailing bytes
    ],
)
def test_malformed_records_raise_protocol_error(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        MESSAGEPACK.decode(payload)
