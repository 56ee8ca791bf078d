import pytest

from signalr_protocol import (
    NegotiateError,
    NegotiateRedirect,
    NegotiateResponse,
    ProtocolError,
    parse_negotiate_query,
    parse_negotiate_response,
)


def test_missing_version_means_version_0() -> None:
    assert parse_negotiate_query({}).version == 0


@pytest.mark.parametrize(("asked", "got"), [("0", 0), ("1", 1), ("2", 1), ("7", 1)])
def test_reply_version_is_min_of_requested_and_1(asked: str, got: int) -> None:
    assert parse_negotiate_query({"negotiateVersion": asked}).version == got


def test_query_keys_are_case_insensitive() -> None:
    request = parse_negotiate_query({"NEGOTIATEVERSION": "1", "usestatefulreconnect": "True"})
    assert request.version == 1
    assert request.stateful_reconnect


def test_non_integer_version_is_an_error_with_aspnet_text() -> None:
    with pytest.raises(NegotiateError, match="non-integer protocol version"):
        parse_negotiate_query({"negotiateVersion": "1.5"})


def test_version_below_minimum_is_an_error() -> None:
    with pytest.raises(NegotiateError, match="requested version '0'"):
        parse_negotiate_query({}, minimum_version=1)


def test_v0_response_has_no_token_and_ids_by_connection_id() -> None:
    body = NegotiateResponse("cid", 0, connection_token="tok").to_json()
    assert list(body) == ["negotiateVersion", "connectionId", "availableTransports"]
    assert body["availableTransports"] == [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]
    assert parse_negotiate_response(body).id_for_connect == "cid"  # type: ignore[union-attr]


def test_v1_response_ids_by_token() -> None:
    body = NegotiateResponse("cid", 1, connection_token="tok", stateful_reconnect=True).to_json()
    assert list(body) == [
        "useStatefulReconnect",
        "negotiateVersion",
        "connectionId",
        "connectionToken",
        "availableTransports",
    ]
    parsed = parse_negotiate_response(body)
    assert isinstance(parsed, NegotiateResponse)
    assert parsed.id_for_connect == "tok"
    assert parsed.stateful_reconnect


def test_client_side_parsing_of_errors_and_redirects() -> None:
    with pytest.raises(NegotiateError, match="not allowed"):
        parse_negotiate_response({"error": "This connection is not allowed."})
    assert parse_negotiate_response({"url": "http://x/hub", "accessToken": "t"}) == NegotiateRedirect(
        "http://x/hub", "t"
    )


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"negotiateVersion": 1, "availableTransports": []},
        {"negotiateVersion": 1, "connectionId": "c", "availableTransports": []},
        {"negotiateVersion": 0, "connectionId": "c"},
        {"ProtocolVersion": "1.5", "connectionId": "c"},
    ],
)
def test_malformed_responses_are_protocol_errors(body: object) -> None:
    with pytest.raises(ProtocolError):
        parse_negotiate_response(body)
