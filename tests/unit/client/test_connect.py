"""One connect attempt (``client/connect.py``) against an in-memory Gateway: negotiate replies are
given, and the WebSocket is joined to a server-side ``signalr_protocol.Connection``."""

from __future__ import annotations

import json
from collections import abc, deque
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from client import AuthError, ClientConfig, ConnectError, UsageError
from client.connect import Connector
from signalr_protocol import Connection, HandshakeRequested, Invocation, NegotiateError, Role, State

HUB_URL = "http://gateway.test/hubs/market"
V1_REPLY = {
    "negotiateVersion": 1,
    "connectionId": "cid",
    "connectionToken": "tok/en+1",
    "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}],
}

Answer = abc.Callable[[Connection], None]


def accept(server: Connection) -> None:
    server.accept_handshake(0.0)


class ServerSocket:
    """The client's WebSocket; what it sends goes to a server ``Connection`` whose ``answer``
    decides the handshake. Once nothing is left to read, the server has closed it."""

    def __init__(self, answer: Answer = accept) -> None:
        self.server = Connection(Role.SERVER, 0.0)
        self.answer = answer
        self.frames: deque[bytes] = deque()
        self.closed = False

    async def send_str(self, text: str) -> None:
        self.server.receive_data(text.encode(), 0.0)
        for event in self.server.events_received():
            if isinstance(event, HandshakeRequested):
                self.answer(self.server)
        self.frames.append(b"".join(self.server.data_to_send()))

    async def receive(self) -> aiohttp.WSMessage:
        if self.frames and self.frames[0]:
            return aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, self.frames.popleft(), None)
        return aiohttp.WSMessage(aiohttp.WSMsgType.CLOSE, 1000, "")

    async def close(self) -> None:
        self.closed = True


class Reply:
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body

    async def json(self, content_type: str | None = "application/json") -> Any:
        if isinstance(self.body, bytes):  # what aiohttp does with a body that is not JSON
            return json.loads(self.body)
        return self.body

    async def __aenter__(self) -> Reply:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class Gateway:
    """The two HTTP calls an attempt makes, answered from what the test gave."""

    def __init__(self, negotiate: Reply, upgrade: ServerSocket | int) -> None:
        self.negotiate = negotiate
        self.upgrade = upgrade
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def post(self, url: str, *, headers: dict[str, str]) -> Reply:
        self.requests.append(("POST", url, headers))
        return self.negotiate

    async def ws_connect(self, url: str, *, headers: dict[str, str], **_: Any) -> ServerSocket:
        self.requests.append(("GET", url, headers))
        if isinstance(self.upgrade, int):
            info = aiohttp.RequestInfo(URL(url), "GET", CIMultiDictProxy(CIMultiDict()))
            raise aiohttp.WSServerHandshakeError(info, (), status=self.upgrade)
        return self.upgrade


class Tokens:
    def __init__(self) -> None:
        self.refused: list[str] = []

    async def token(self) -> str:
        return "jwt-1"

    def invalidate(self, token: str) -> None:
        self.refused.append(token)


def connector(gateway: Gateway, tokens: Tokens | None = None, protocol: str = "json") -> Connector:
    config = ClientConfig("http://gateway.test", protocol=protocol)
    return Connector("market", config, tokens or Tokens(), gateway)  # type: ignore[arg-type]


async def test_a_version_1_reply_connects_with_its_connection_token_and_the_jwt_only_in_the_header() -> None:
    gateway = Gateway(Reply(200, V1_REPLY), ServerSocket())
    session = await connector(gateway).open_session()
    assert session.conn.state is State.OPEN
    bearer = {"Authorization": "Bearer jwt-1"}
    assert gateway.requests == [
        ("POST", f"{HUB_URL}/negotiate?negotiateVersion=1", bearer),
        ("GET", f"{HUB_URL}?id=tok%2Fen%2B1", bearer),
    ]


async def test_a_version_0_reply_connects_with_its_connection_id() -> None:
    reply = {"connectionId": "cid/0", "availableTransports": []}
    gateway = Gateway(Reply(200, reply), ServerSocket())
    await connector(gateway).open_session()
    assert gateway.requests[1][1] == f"{HUB_URL}?id=cid%2F0"


async def test_messages_that_came_with_the_handshake_reply_are_kept_for_the_reader() -> None:
    def accept_and_send(server: Connection) -> None:
        server.accept_handshake(0.0)
        server.send(Invocation("GatewayQuote", ["CON.F.US.EP.Z25", {"bid": 1}]), 0.0)

    session = await connector(Gateway(Reply(200, V1_REPLY), ServerSocket(accept_and_send))).open_session()
    assert [type(event) for event in session.early_events] == [Invocation]


async def test_a_negotiate_redirect_is_refused_before_any_upgrade() -> None:
    gateway = Gateway(Reply(200, {"url": "http://elsewhere.test/hubs/market", "accessToken": "x"}), 400)
    with pytest.raises(ConnectError) as refused:
        await connector(gateway).open_session()
    assert type(refused.value) is ConnectError
    assert refused.value.reason == "negotiate redirected to another URL: not supported"
    assert [method for method, _, _ in gateway.requests] == ["POST"]


async def test_a_negotiate_error_status_or_body_fails_the_attempt() -> None:
    with pytest.raises(ConnectError, match="negotiate answered HTTP 503"):
        await connector(Gateway(Reply(503, None), ServerSocket())).open_session()
    with pytest.raises(NegotiateError, match="hub is resting"):
        await connector(Gateway(Reply(200, {"error": "hub is resting"}), ServerSocket())).open_session()
    # A maintenance page answered with 200: a failed attempt the supervisor retries, never a crash
    # of its task (a ValueError it would not catch, leaving the hub connecting for good).
    page = Reply(200, b"<html>down for maintenance</html>")
    with pytest.raises(ConnectError, match="not JSON"):
        await connector(Gateway(page, ServerSocket())).open_session()


async def test_a_refused_upgrade_raises_connect_error_with_its_status() -> None:
    tokens = Tokens()
    with pytest.raises(ConnectError) as refused:
        await connector(Gateway(Reply(200, V1_REPLY), 503), tokens).open_session()
    assert type(refused.value) is ConnectError
    assert refused.value.reason == "upgrade answered HTTP 503"
    assert isinstance(refused.value.__cause__, aiohttp.WSServerHandshakeError)
    assert tokens.refused == []


@pytest.mark.parametrize("phase", ["negotiate", "upgrade"])
async def test_a_401_raises_auth_error_and_invalidates_the_token(phase: str) -> None:
    tokens = Tokens()
    if phase == "negotiate":
        gateway = Gateway(Reply(401, None), ServerSocket())
    else:
        gateway = Gateway(Reply(200, V1_REPLY), 401)
    with pytest.raises(AuthError, match=f"{phase}: 401"):
        await connector(gateway, tokens).open_session()
    assert tokens.refused == ["jwt-1"]


async def test_a_rejected_handshake_raises_connect_error_and_closes_the_socket() -> None:
    socket = ServerSocket(lambda server: server.reject_handshake("no hub here", 0.0))
    with pytest.raises(ConnectError) as refused:
        await connector(Gateway(Reply(200, V1_REPLY), socket)).open_session()
    assert refused.value.reason == "handshake refused: no hub here"
    assert socket.closed


async def test_a_socket_ended_during_the_handshake_raises_connect_error_and_is_closed() -> None:
    socket = ServerSocket(lambda server: None)  # the request is read and never answered
    with pytest.raises(ConnectError) as ended:
        await connector(Gateway(Reply(200, V1_REPLY), socket)).open_session()
    assert ended.value.reason == "the server ended the connection during the handshake (CLOSE)"
    assert socket.closed


def test_an_unknown_protocol_is_refused_when_the_connector_is_made() -> None:
    with pytest.raises(UsageError, match="unknown hub protocol 'xml'"):
        connector(Gateway(Reply(200, V1_REPLY), ServerSocket()), protocol="xml")
