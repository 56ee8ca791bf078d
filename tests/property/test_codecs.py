"""Round trips, any-split framing, and "only ProtocolError" for hostile input, in both protocols."""

import contextlib
import json

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalr_protocol import JSON, MESSAGEPACK, Connection, HubProtocol, ProtocolError, Role
from signalr_protocol.handshake import parse_handshake_request, parse_handshake_response

from .strategies import messages, splits, values

PROTOCOLS = pytest.mark.parametrize("protocol", [JSON, MESSAGEPACK], ids=["json", "messagepack"])


@PROTOCOLS
@given(data=st.data())
def test_every_message_round_trips(protocol: HubProtocol, data: st.DataObject) -> None:
    message = data.draw(messages())
    [record] = protocol.new_reader().feed(protocol.encode(message))  # type: ignore[arg-type]
    assert protocol.decode(record) == message


@given(message=messages(values(st.binary(max_size=16))))
def test_messagepack_round_trips_binary_payloads(message: object) -> None:
    [record] = MESSAGEPACK.new_reader().feed(MESSAGEPACK.encode(message))  # type: ignore[arg-type]
    assert MESSAGEPACK.decode(record) == message


@PROTOCOLS
@given(data=st.data())
def test_any_split_of_a_stream_parses_to_the_same_messages(
    protocol: HubProtocol, data: st.DataObject
) -> None:
    sent = data.draw(st.lists(messages(), min_size=1, max_size=8))
    stream = b"".join(protocol.encode(m) for m in sent)  # type: ignore[arg-type]
    reader = protocol.new_reader()
    received = []
    for chunk in data.draw(splits(stream)):
        received.extend(protocol.decode(r) for r in reader.feed(chunk))
    assert received == sent
    assert reader.buffered == 0


@PROTOCOLS
@given(data=st.binary(max_size=300))
def test_arbitrary_record_bytes_raise_only_protocol_error(protocol: HubProtocol, data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        protocol.decode(data)


@given(value=values())
def test_arbitrary_json_values_raise_only_protocol_error(value: object) -> None:
    for candidate in (value, {"type": 1, "target": value, "arguments": value, "invocationId": value}):
        with contextlib.suppress(ProtocolError):
            JSON.decode(json.dumps(candidate).encode())


@given(kind=st.integers(min_value=-1, max_value=12), rest=st.lists(values(st.binary(max_size=4)), max_size=6))
def test_arbitrary_messagepack_arrays_raise_only_protocol_error(kind: int, rest: list[object]) -> None:
    with contextlib.suppress(ProtocolError):
        MESSAGEPACK.decode(msgpack.packb([kind, *rest], use_bin_type=True))


@PROTOCOLS
@given(chunks=st.lists(st.binary(max_size=64), max_size=8))
def test_readers_fed_arbitrary_bytes_raise_only_protocol_error(
    protocol: HubProtocol, chunks: list[bytes]
) -> None:
    reader = protocol.new_reader(max_record_size=128)
    try:
        for chunk in chunks:
            for record in reader.feed(chunk):
                protocol.decode(record)
    except ProtocolError:
        pass


@given(data=st.binary(max_size=200))
def test_arbitrary_handshake_bytes_raise_only_protocol_error(data: bytes) -> None:
    for parse in (parse_handshake_request, parse_handshake_response):
        with contextlib.suppress(ProtocolError):
            parse(data)


@pytest.mark.parametrize("role", [Role.SERVER, Role.CLIENT])
@given(chunks=st.lists(st.binary(max_size=64), max_size=8), protocol=st.sampled_from([JSON, MESSAGEPACK]))
def test_connection_never_raises_on_arbitrary_input(
    role: Role, chunks: list[bytes], protocol: HubProtocol
) -> None:
    conn = Connection(role, 0.0, max_record_size=256)
    if role is Role.CLIENT:
        conn.start_handshake(protocol, 1, 0.0)
    else:
        conn.receive_data(f'{{"protocol":"{protocol.name}","version":1}}\x1e'.encode(), 0.0)
        conn.events_received()
        conn.accept_handshake(0.0)
    for i, chunk in enumerate(chunks):
        conn.receive_data(chunk, float(i))
        conn.events_received()
        conn.handle_timer(float(i))
