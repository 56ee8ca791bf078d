"""The simulator's aiohttp application: hubs, the control API, and what it remembers.

``SimulatorServer`` is usable in-process (``async with SimulatorServer(config, hubs) as server``,
then ``server.url``) and is what ``python -m simulator`` runs. Stopping it closes every hub
connection the way a restarting ASP.NET Core server would (Close with ``allowReconnect``, then
WebSocket close) and waits for each to finish.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, abc
from typing import Any

from aiohttp import web

from signalr_protocol.connection import PENDING_RECORDS

from .config import ServerConfig
from .control import ControlApi
from .endpoints import Authenticator, HubEndpoints, allow_all
from .faults import FaultSet
from .guard import control_guard
from .history import SendHistory
from .hub import Hub
from .recording import REQUEST_LOG_KEY, REQUEST_RECORD_KEY, BoundedLog, ConnectionRecord, HttpRequestRecord
from .registry import ConnectionRegistry
from .session import HubSession
from .tasks import Supervisor

REQUEST_LOG_LIMIT = 10_000
CLOSED_RECORD_LIMIT = 1_000
HEADER_TIMEOUT_S = 30.0  # a request's headers (and an idle keep-alive connection) within this
REQUEST_LOG_BYTES = 4 * 1024 * 1024
CLOSED_RECORDS_BYTES = 32 * 1024 * 1024
UNLIMITED_WS_MESSAGE = 16 * 1024 * 1024


def ws_message_limit(max_record_size: int | None) -> int:
    """The largest WebSocket message aiohttp reads, from ``--max-message-size``: a few records'
    worth (``PENDING_RECORDS``; one message may carry several), refused from the frame's declared
    length before anything is buffered; 16 MiB when records are unlimited."""
    if not max_record_size:
        return UNLIMITED_WS_MESSAGE
    return PENDING_RECORDS * max_record_size + 1  # aiohttp refuses a message of max_msg_size itself


class SimulatorServer:
    def __init__(
        self,
        config: ServerConfig,
        hubs: abc.Iterable[Hub],
        *,
        authenticate: Authenticator = allow_all,
    ) -> None:
        self.config = config
        self.hubs: dict[str, Hub] = {hub.name.lower(): hub for hub in hubs}
        self.tasks = Supervisor()  # background work; a failure there makes health say degraded
        for hub in self.hubs.values():
            hub.tasks = self.tasks
        self.registry = ConnectionRegistry(config.disconnect_timeout_s)
        self.sessions: dict[str, HubSession] = {}
        self.records: OrderedDict[str, ConnectionRecord] = OrderedDict()
        self.requests: BoundedLog[dict[str, Any]] = BoundedLog(REQUEST_LOG_LIMIT, REQUEST_LOG_BYTES)
        self.history = SendHistory(config.history_limit, config.history_path, self.tasks)
        self.faults = FaultSet()
        self.endpoints = HubEndpoints(self, authenticate)
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._session_tasks: set[asyncio.Task[Any]] = set()
        self.host = config.host
        self.port = config.port

    # -- the application -----------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        guard = control_guard(self.config.control_token, self.config.host)
        app = web.Application(middlewares=[guard, self._log_requests])
        app.add_routes(self.endpoints.routes())
        app.add_routes(ControlApi(self).routes())
        app.on_startup.append(self._start_hubs)
        app.on_shutdown.append(self._close_sessions)
        app.on_cleanup.append(self._close_hubs)
        return app

    @web.middleware
    async def _log_requests(
        self, request: web.Request, handler: abc.Callable[[web.Request], abc.Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Remember every hub and REST request (tokens redacted) with the status it got."""
        if request.path.startswith("/_sim/"):
            return await handler(request)
        record = HttpRequestRecord.from_request(request, time.time())
        entry: dict[str, Any] = {**record.to_json(), "status": None}
        request[REQUEST_RECORD_KEY] = record
        request[REQUEST_LOG_KEY] = entry
        self.requests.append(entry, record.size)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            entry["status"] = exc.status
            raise
        entry["status"] = response.status
        return response

    def clock(self) -> float:
        return asyncio.get_running_loop().time()

    def new_websocket(self) -> web.WebSocketResponse:
        cfg = self.config
        return web.WebSocketResponse(
            autoping=cfg.ws_autoping,
            heartbeat=cfg.ws_heartbeat_s,
            compress=False,  # ASP.NET Core does not negotiate permessage-deflate by default
            decode_text=False,
            timeout=5.0,  # WebSocketOptions.CloseTimeout
            max_msg_size=ws_message_limit(cfg.max_receive_message_size),
        )

    async def serve(self, session: HubSession) -> None:
        """Run one hub connection to its end, remembering its record."""
        self.sessions[session.connection_id] = session
        self.records[session.connection_id] = session.record
        task = asyncio.current_task()
        if task is not None:
            self._session_tasks.add(task)
        try:
            await session.run()
        finally:
            self.sessions.pop(session.connection_id, None)
            if task is not None:
                self._session_tasks.discard(task)
            self._trim_records()

    def _trim_records(self) -> None:
        """Forget the oldest closed records past ``CLOSED_RECORD_LIMIT`` or ``CLOSED_RECORDS_BYTES``."""
        closed = [(cid, record.size) for cid, record in self.records.items() if not record.is_open]
        total = sum(size for _, size in closed)
        for index, (cid, size) in enumerate(closed):
            if len(closed) - index <= CLOSED_RECORD_LIMIT and total <= CLOSED_RECORDS_BYTES:
                break
            del self.records[cid]
            total -= size

    # -- lifecycle -----------------------------------------------------------------------------

    async def _start_hubs(self, app: web.Application) -> None:
        self.history.start()
        for hub in self.hubs.values():
            await hub.start()

    async def _close_sessions(self, app: web.Application) -> None:
        for session in list(self.sessions.values()):
            session.close(allow_reconnect=True)
        if self._session_tasks:
            await asyncio.wait(list(self._session_tasks), timeout=10.0)

    async def _close_hubs(self, app: web.Application) -> None:
        for hub in self.hubs.values():
            await hub.close()
        await self.history.close()

    async def start(self) -> None:
        # aiohttp has no header-read timeout, but its keep-alive timer runs from the connection's
        # first byte until a request's headers are complete: a client trickling headers is cut there.
        runner = web.AppRunner(
            self.app, handle_signals=False, access_log=None, keepalive_timeout=HEADER_TIMEOUT_S
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.host, self.port = host, port

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> SimulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- views for the control API -------------------------------------------------------------

    def record(self, connection_id: str) -> ConnectionRecord | None:
        return self.records.get(connection_id)

    def request_log(self) -> list[dict[str, Any]]:
        return list(self.requests)
