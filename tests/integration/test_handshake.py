"""The handshake over a real socket: answers, errors, timeout, frame types, fragmentation."""

import aiohttp
import pytest

from signalr_protocol import MESSAGEPACK, Closed, CloseReason, HandshakeCompleted, Invocation
from simulator import SimulatorServer

from .conftest import closed_record, connect


async def test_json_handshake_then_invocations_in_text_frames(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    assert client.frames[0].type is aiohttp.WSMsgType.TEXT
    assert client.frames[0].data == "{}\x1e"
    await client.ws.close()


async def test_messagepack_handshake_response_comes_in_a_binary_frame(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url, protocol=MESSAGEPACK)
    assert client.frames[0].type is aiohttp.WSMsgType.BINARY
    await client.send(Invocation("Echo", [b"\x00\x01"], "1"))
    reply = await client.next_message()
    assert reply.result == b"\x00\x01"  # type: ignore[union-attr]
    assert client.frames[-1].type is aiohttp.WSMsgType.BINARY
    await client.ws.close()


@pytest.mark.parametrize("version", [0, 1, 2])
async def test_handshake_versions_0_to_2_are_accepted(
    server: SimulatorServer, http: aiohttp.ClientSession, version: int
) -> None:
    client = await connect(http, server.url, handshake=False)
    assert await client.handshake(version) == HandshakeCompleted("json", version)
    await client.ws.close()


@pytest.mark.parametrize(
    ("request_text", "error"),
    [
        ("garbage\x1e", "An unexpected error occurred during connection handshake."),
        ('{"protocol":"xml","version":1}\x1e', "The protocol 'xml' is not supported."),
        (
            '{"protocol":"json","version":9}\x1e',
            "The server does not support version 9 of the 'json' protocol.",
        ),
    ],
)
async def test_bad_handshake_gets_the_aspnet_error_then_close(
    server: SimulatorServer, http: aiohttp.ClientSession, request_text: str, error: str
) -> None:
    client = await connect(http, server.url, handshake=False)
    await client.ws.send_str(request_text)
    frame = await client.ws.receive()
    assert frame.data == f'{{"error":"{error}"}}\x1e'
    assert await client.ws_close_code() == 1011
    healthy = await connect(http, server.url)  # the server keeps serving others
    await healthy.ws.close()


async def test_handshake_split_across_frames_and_followed_by_a_message(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url, handshake=False)
    await client.ws.send_str('{"protocol":"js')
    await client.ws.send_str(
        'on","version":1}\x1e{"type":1,"invocationId":"1","target":"Add","arguments":[1,2]}\x1e'
    )
    frame = await client.ws.receive()
    assert frame.data.startswith("{}\x1e")
    if frame.data == "{}\x1e":
        frame = await client.ws.receive()
    assert '"result":3' in frame.data
    await client.ws.close()


async def test_silent_client_gets_handshake_canceled(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url, handshake=False)
    frame = await client.ws.receive(timeout=server.config.handshake_timeout_s + 2)
    assert frame.data == '{"error":"Handshake was canceled."}\x1e'
    assert await client.ws_close_code() == 1011
    record = await closed_record(server)
    assert record.close["reason"] == "handshake_timeout"


async def test_handshake_response_has_no_type_member(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    assert "type" not in client.frames[0].data
    await client.send(Invocation("Echo", [1], "x"))
    assert not isinstance(await client.next_message(), Closed)
    await client.ws.close()


async def test_client_close_message_ends_without_error(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.ws.send_str('{"type":7}\x1e')
    assert await client.ws_close_code() == 1000
    record = await closed_record(server)
    assert (record.close["reason"], record.close["error"]) == (CloseReason.PEER_CLOSED.value, None)
