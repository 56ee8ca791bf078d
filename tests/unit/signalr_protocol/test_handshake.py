import pytest

from signalr_protocol import HandshakeError, HandshakeRequest, HandshakeResponse
from signalr_protocol.handshake import parse_handshake_request, parse_handshake_response, select_protocol


def test_request_round_trips() -> None:
    record = HandshakeRequest("messagepack", 1).encode()
    assert record == b'{"protocol":"messagepack","version":1}\x1e'
    assert parse_handshake_request(record[:-1]) == HandshakeRequest("messagepack", 1)


@pytest.mark.parametrize("version", [0, 1, 2])
@pytest.mark.parametrize("name", ["json", "messagepack", "JSON"])
def test_server_accepts_both_protocols_at_versions_0_to_2(name: str, version: int) -> None:
    assert select_protocol(HandshakeRequest(name, version)).name == name.lower()


def test_unknown_protocol_gets_aspnet_text() -> None:
    with pytest.raises(HandshakeError, match=r"The protocol 'xml' is not supported\."):
        select_protocol(HandshakeRequest("xml", 1))


def test_unsupported_version_gets_aspnet_text() -> None:
    with pytest.raises(HandshakeError, match="does not support version 3 of the 'json' protocol"):
        select_protocol(HandshakeRequest("json", 3))


@pytest.mark.parametrize(
    "record", [b"garbage", b"[]", b'{"protocol":"json"}', b'{"version":1}', b'{"protocol":1,"version":1}']
)
def test_malformed_requests_raise(record: bytes) -> None:
    with pytest.raises(HandshakeError):
        parse_handshake_request(record)


def test_success_response_is_the_empty_object() -> None:
    assert HandshakeResponse().encode() == b"{}\x1e"
    assert parse_handshake_response(b"{}") == HandshakeResponse()


def test_response_with_type_is_rejected_like_the_dotnet_client() -> None:
    with pytest.raises(HandshakeError, match="Expected a handshake response"):
        parse_handshake_response(b'{"type":1}')


def test_error_response_carries_the_error() -> None:
    assert parse_handshake_response(b'{"error":"nope"}').error == "nope"
