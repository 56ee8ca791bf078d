"""Connecting to a hub once: negotiate, the WebSocket upgrade, the SignalR handshake.

``Connector.open_session()`` is one connect attempt. It ends in a ``Session`` whose handshake has
completed, or in an error::

    POST {hub}/negotiate?negotiateVersion=1   401: AuthError (the token is invalidated)
                                              not 200, or a redirect: ConnectError
                                              a bad body: NegotiateError / ProtocolError
    GET  {hub}?id=...  (WebSocket upgrade)    401: AuthError (the token is invalidated)
                                              refused otherwise: ConnectError
    handshake {"protocol":...,"version":1}    refused, or the socket ended: ConnectError

The ``?id=`` is the ``connectionToken`` of a version 1 reply and the ``connectionId`` of a version 0
one (``NegotiateResponse.id_for_connect``); a redirect (``{"url": ...}``) is refused. Replies are
parsed and the handshake is run by ``signalr_protocol``; this module only moves their bytes. The
token is fetched fresh for every attempt and goes only in the ``Authorization`` header (R3, R11).
Network errors (``aiohttp.ClientError``, ``OSError``) pass through unchanged.

Nothing here retries or bounds the attempt as a whole: the caller does (``hub.py``, with
``connect_timeout_s``: R8, R14) and decides what a failure means. That is why it is separate from
``hub.py``, which holds a hub's lifecycle (states, reconnects, the receive loop, liveness): an
attempt is a straight line that can be read, and tested, without the supervisor around it.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import aiohttp

from signalr_protocol import (
    Closed,
    Connection,
    HandshakeCompleted,
    NegotiateRedirect,
    NegotiateResponse,
    Role,
    Timeouts,
    parse_negotiate_response,
    protocol_named,
)

from .auth import TokenProvider
from .config import ClientConfig
from .errors import AuthError, ConnectError, UsageError
from .session import Session


class Connector:
    """Opens sessions to one hub; call ``open_session()`` once per attempt."""

    def __init__(
        self, hub: str, config: ClientConfig, tokens: TokenProvider, http: aiohttp.ClientSession
    ) -> None:
        protocol = protocol_named(config.protocol)
        if protocol is None:
            raise UsageError(f"unknown hub protocol {config.protocol!r}: json or messagepack")
        self.hub = hub
        self.url = config.hub_url(hub)
        self.config = config
        self.protocol = protocol
        self.tokens = tokens
        self.http = http

    async def open_session(self) -> Session:
        """Negotiate, upgrade and handshake with a fresh token; the caller bounds how long it takes."""
        token = await self.tokens.token()
        headers = {"Authorization": f"Bearer {token}"}
        negotiated = await self.negotiate(token, headers)
        ws = await self.upgrade(negotiated, token, headers)
        return await self.handshake(ws)

    async def negotiate(self, token: str, headers: dict[str, str]) -> NegotiateResponse:
        async with self.http.post(f"{self.url}/negotiate?negotiateVersion=1", headers=headers) as response:
            if response.status == 401:
                self.tokens.invalidate(token)
                raise AuthError(self.hub, "negotiate: 401 (token refused; a new one is fetched next time)")
            if response.status != 200:
                raise ConnectError(self.hub, f"negotiate answered HTTP {response.status}")
            try:
                body = await response.json(content_type=None)
            except ValueError:  # an HTML maintenance page with a 200, say: a failed attempt, retried
                raise ConnectError(self.hub, "negotiate answered 200 with a body that is not JSON") from None
            negotiated = parse_negotiate_response(body)
        if isinstance(negotiated, NegotiateRedirect):
            raise ConnectError(self.hub, "negotiate redirected to another URL: not supported")
        return negotiated

    async def upgrade(
        self, negotiated: NegotiateResponse, token: str, headers: dict[str, str]
    ) -> aiohttp.ClientWebSocketResponse[bool]:
        url = f"{self.url}?id={quote(negotiated.id_for_connect, safe='')}"
        try:
            return await self.http.ws_connect(
                url,
                headers=headers,
                autoping=True,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=1.0),
                max_msg_size=0,
                decode_text=False,
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 401:
                self.tokens.invalidate(token)
                raise AuthError(self.hub, "upgrade: 401 (token refused)") from exc
            raise ConnectError(self.hub, f"upgrade answered HTTP {exc.status}") from exc

    async def handshake(self, ws: aiohttp.ClientWebSocketResponse[bool]) -> Session:
        """The SignalR handshake on ``ws``; ``ws`` is closed unless a ``Session`` is returned.

        Messages that came in the handshake's frame are kept in ``Session.early_events``."""
        loop = asyncio.get_running_loop()
        timeouts = Timeouts(
            keep_alive_interval_s=self.config.keep_alive_interval_s,
            peer_timeout_s=self.config.server_timeout_s,
            handshake_timeout_s=self.config.connect_timeout_s,
        )
        conn = Connection(Role.CLIENT, loop.time(), timeouts=timeouts)
        session = Session(self.hub, ws, conn)
        try:
            conn.start_handshake(self.protocol, 1, loop.time())
            await ws.send_str(b"".join(conn.data_to_send()).decode())
            while True:
                message = await ws.receive()
                if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    raise ConnectError(
                        self.hub,
                        f"the server ended the connection during the handshake ({message.type.name})",
                    )
                conn.receive_data(message.data, loop.time())
                events = conn.events_received()
                for index, event in enumerate(events):
                    if isinstance(event, HandshakeCompleted):
                        session.early_events = events[index + 1 :]
                        return session
                    if isinstance(event, Closed):
                        raise ConnectError(self.hub, f"handshake refused: {event.error}")
        except BaseException:
            await ws.close()
            raise
