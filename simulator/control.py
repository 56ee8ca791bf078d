"""The control API under ``/_sim/``: JSON in, JSON out, 4xx with ``{"error": ...}`` on bad input.

GET  /_sim/health                          hubs, open connections; 503 "degraded" naming failed tasks
GET  /_sim/connections[?hub=H&open=true]   connection summaries
GET  /_sim/connections/{id}[?messages=false]  one connection's full record
POST /_sim/connections/{id}/close          {"error"?: str, "allowReconnect"?: bool, "wsCode"?: int}
POST /_sim/connections/{id}/abort          {"reset"?: bool}   drop TCP, no Close (RST if reset)
POST /_sim/connections/{id}/send           {"target": str, "arguments"?: list}
POST /_sim/connections/{id}/invoke         {"target": str, "arguments"?: list, "timeoutS"?: number}
POST /_sim/hubs/{hub}/broadcast            {"target": str, "arguments"?: list}
GET  /_sim/requests                        every hub/REST HTTP request seen, tokens redacted
GET  /_sim/faults                          active server-side faults; GET /_sim/faults/types: every kind
POST /_sim/faults                          {"fault": name, "params"?: {}, "hub"?: str, "connection"?: id}
DELETE /_sim/faults[/{id}]                 clear one fault (or all)
GET  /_sim/history[?since=N&limit=M&connection=ID&hub=H&target=T]
                                           the send history (``simulator.history``), oldest first
POST /_sim/history/flush                   write the history file's buffer now: {"file", "total"}
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import abc
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .dispatch import ClientResultError
from .faults import REGISTRY, ActiveFault, FaultError, make_fault
from .history import entry_json
from .recording import dumps
from .session import HubSession
from .values import BadValue, encodable, number, parse_json

if TYPE_CHECKING:
    from .server import SimulatorServer

_MISSING = object()
HISTORY_PAGE = 10_000
HISTORY_PAGE_MAX = 100_000
MAX_INVOKE_TIMEOUT_S = 300.0
BODY_TIMEOUT_S = 10.0  # a request body (REST or control) must arrive within this once its headers have

log = logging.getLogger(__name__)


def _query_int(request: web.Request, name: str, default: int, low: int, high: int | None = None) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise fail(400, f"{name} must be an integer, got {text!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise fail(400, f"{name} must be {bound}, got {value}")
    return value


def reply(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=dumps)


def fail(status: int, message: str) -> web.HTTPException:
    """An HTTP error carrying ``{"error": message}``."""
    exc_class = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        408: web.HTTPRequestTimeout,
        415: web.HTTPUnsupportedMediaType,
        409: web.HTTPConflict,
        502: web.HTTPBadGateway,
        504: web.HTTPGatewayTimeout,
    }[status]
    return exc_class(text=json.dumps({"error": message}), content_type="application/json")


async def read_body(request: web.Request) -> bytes:
    """The whole body, within ``BODY_TIMEOUT_S`` (else 408) and ``client_max_size`` (else 413).
    A client that drops the connection mid-body costs one log line, not a traceback."""
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            return await request.read()
    except TimeoutError:
        raise fail(408, f"the body did not arrive within {BODY_TIMEOUT_S:g} s") from None
    except ConnectionError as exc:
        log.info("%s %s: the client went away mid-body (%s)", request.method, request.path, exc)
        raise fail(400, "the client went away mid-body") from None


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}``. Anything else (not JSON, not an object,
    ``NaN``, numbers past 64 bits or to infinity, nesting past ``values.MAX_DEPTH``) is a 400."""
    raw = await read_body(request)
    if not raw.strip():
        return {}
    try:
        body = parse_json(raw)
    except BadValue as exc:
        raise fail(400, f"body: {exc}") from None
    if not isinstance(body, dict):
        raise fail(400, "body must be a JSON object")
    return body


def bounded(
    body: dict[str, Any], name: str, default: float, *, low: float, high: float, low_open: bool = False
) -> float:
    """``body[name]`` (or ``default``) as a finite number in its documented range; else a 400."""
    if name not in body:
        return default
    try:
        return number(body[name], f"field {name!r}", low=low, high=high, low_open=low_open)
    except BadValue as exc:
        raise fail(400, str(exc)) from None


def arguments(body: dict[str, Any]) -> list[Any]:
    """``body["arguments"]`` (default ``[]``), which both hub protocols must be able to carry."""
    values: list[Any] = field(body, "arguments", list, [])
    try:
        encodable(values, "field 'arguments'")
    except BadValue as exc:
        raise fail(400, str(exc)) from None
    return values


def field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
    """``body[name]`` checked against ``kind``; missing uses ``default`` or is a 400."""
    if name not in body:
        if default is _MISSING:
            raise fail(400, f"missing field {name!r}")
        return default
    value = body[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        names = "/".join(k.__name__ for k in _as_tuple(kind))
        raise fail(400, f"field {name!r} must be {names}, not {type(value).__name__}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


class ControlApi:
    def __init__(self, server: SimulatorServer) -> None:
        self.server = server

    def routes(self) -> abc.Iterable[web.AbstractRouteDef]:
        return [
            web.get("/_sim/health", self.health),
            web.get("/_sim/connections", self.connections),
            web.get("/_sim/connections/{id}", self.connection),
            web.post("/_sim/connections/{id}/close", self.close),
            web.post("/_sim/connections/{id}/abort", self.abort),
            web.post("/_sim/connections/{id}/send", self.send),
            web.post("/_sim/connections/{id}/invoke", self.invoke),
            web.post("/_sim/hubs/{hub}/broadcast", self.broadcast),
            web.get("/_sim/requests", self.requests),
            web.get("/_sim/history", self.history),
            web.post("/_sim/history/flush", self.flush_history),
            web.get("/_sim/faults", self.faults),
            web.get("/_sim/faults/types", self.fault_types),
            web.post("/_sim/faults", self.add_fault),
            web.delete("/_sim/faults", self.clear_faults),
            web.delete("/_sim/faults/{id}", self.clear_fault),
        ]

    def _session(self, request: web.Request) -> HubSession:
        connection_id = request.match_info["id"]
        session = self.server.sessions.get(connection_id)
        if session is not None:
            return session
        if self.server.record(connection_id) is not None:
            raise fail(409, f"connection {connection_id} is closed")
        raise fail(404, f"no connection {connection_id}")

    async def health(self, request: web.Request) -> web.Response:
        """200 ``ok: true``, or 503 ``status: degraded`` naming the background tasks that failed."""
        failed = self.server.tasks.health()
        body = {
            "ok": not failed,
            "status": "degraded" if failed else "ok",
            "hubs": sorted(self.server.hubs),
            "openConnections": len(self.server.sessions),
            "tasks": failed,
        }
        return reply(body, status=503 if failed else 200)

    async def connections(self, request: web.Request) -> web.Response:
        hub = request.query.get("hub")
        open_filter = request.query.get("open")
        if open_filter not in (None, "true", "false"):
            raise fail(400, "open must be true or false")
        rows = []
        for record in self.server.records.values():
            if hub is not None and record.hub != hub.lower():
                continue
            if open_filter is not None and record.is_open != (open_filter == "true"):
                continue
            row = record.summary()
            session = self.server.sessions.get(record.connection_id)
            if session is not None:
                row["subscriptions"] = session.hub.subscriptions(session)
            rows.append(row)
        return reply({"connections": rows})

    async def connection(self, request: web.Request) -> web.Response:
        record = self.server.record(request.match_info["id"])
        if record is None:
            raise fail(404, f"no connection {request.match_info['id']}")
        return reply(record.to_json(include_messages=request.query.get("messages") != "false"))

    async def close(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        session = self._session(request)
        error = field(body, "error", (str, type(None)), None)
        allow_reconnect = field(body, "allowReconnect", bool, False)
        ws_code = field(body, "wsCode", (int, type(None)), None)
        if ws_code is not None and not (1000 <= ws_code <= 4999):
            raise fail(400, "wsCode must be between 1000 and 4999")
        session.close(error, allow_reconnect=allow_reconnect, ws_code=ws_code)
        return reply({"closed": session.connection_id})

    async def abort(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        session = self._session(request)
        session.abort(reset=field(body, "reset", bool, False))
        return reply({"aborted": session.connection_id})

    async def send(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        session = self._session(request)
        session.send(field(body, "target", str), *arguments(body))
        return reply({"sent": 1})

    async def invoke(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        session = self._session(request)
        target = field(body, "target", str)
        args = arguments(body)
        timeout_s = bounded(body, "timeoutS", 10.0, low=0.0, high=MAX_INVOKE_TIMEOUT_S, low_open=True)
        try:
            result = await session.invoke_client(target, *args, timeout_s=timeout_s)
        except ClientResultError as exc:
            raise fail(502, f"client answered with an error: {exc}") from None
        except TimeoutError:
            raise fail(504, f"client did not answer within {timeout_s} s") from None
        except ConnectionError as exc:
            raise fail(409, str(exc)) from None
        return reply({"result": result})

    async def broadcast(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        hub = self.server.hubs.get(request.match_info["hub"].lower())
        if hub is None:
            raise fail(404, f"no hub {request.match_info['hub']}")
        sent = hub.broadcast(field(body, "target", str), arguments(body))
        return reply({"sent": sent})

    async def requests(self, request: web.Request) -> web.Response:
        return reply({"requests": self.server.request_log()})

    async def faults(self, request: web.Request) -> web.Response:
        return reply({"faults": [a.to_json() for a in self.server.faults.active.values()]})

    async def fault_types(self, request: web.Request) -> web.Response:
        kinds = {
            name: {"describes": cls.describes, "params": {k: d for k, (_, d) in cls.params_spec.items()}}
            for name, cls in sorted(REGISTRY.items())
        }
        return reply({"faults": kinds})

    async def add_fault(self, request: web.Request) -> web.Response:
        """Inject a fault: it acts on live connections it reaches at once, and on new ones."""
        body = await json_body(request)
        hub = field(body, "hub", (str, type(None)), None)
        connection = field(body, "connection", (str, type(None)), None)
        if hub is not None and hub.lower() not in self.server.hubs:
            raise fail(404, f"no hub {hub}")
        if connection is not None and self.server.record(connection) is None:
            raise fail(404, f"no connection {connection}")
        try:
            fault = make_fault(field(body, "fault", str), field(body, "params", dict, {}))
        except FaultError as exc:
            raise fail(400, str(exc)) from None
        entry = self.server.faults.add(fault, hub.lower() if hub else None, connection)
        for session in list(self.server.sessions.values()):
            if entry.reaches(session.hub.name, session.connection_id) and session.is_open:
                await fault.apply(session)
        return reply(entry.to_json(), status=201)

    async def _clear(self, entries: list[ActiveFault]) -> None:
        for entry in entries:
            self.server.faults.remove(entry.id)
            for session in list(self.server.sessions.values()):
                if entry.reaches(session.hub.name, session.connection_id) and session.is_open:
                    await entry.fault.clear(session)

    async def clear_fault(self, request: web.Request) -> web.Response:
        text = request.match_info["id"]
        entry = self.server.faults.active.get(int(text)) if text.isascii() and text.isdigit() else None
        if entry is None:
            raise fail(404, f"no active fault {text}")
        await self._clear([entry])
        return reply({"cleared": [entry.id]})

    async def clear_faults(self, request: web.Request) -> web.Response:
        entries = list(self.server.faults.active.values())
        await self._clear(entries)
        return reply({"cleared": [e.id for e in entries]})

    async def flush_history(self, request: web.Request) -> web.Response:
        """Write what the history file buffers now, so a reader needs no wait for the periodic flush."""
        history = self.server.history
        history.flush()
        return reply({"file": str(history.path) if history.path else None, "total": history.count})

    async def history(self, request: web.Request) -> web.Response:
        """A page of the send history; ``next`` is the ``since`` for the following page.

        ``missed`` counts entries after ``since`` that fell out of memory before this read (the
        history file, if any, still has them)."""
        history = self.server.history
        since = _query_int(request, "since", 0, 0)
        limit = _query_int(request, "limit", HISTORY_PAGE, 1, HISTORY_PAGE_MAX)
        rows = history.read(
            since=since,
            limit=limit,
            connection_id=request.query.get("connection"),
            hub=request.query.get("hub", "").lower() or None,
            target=request.query.get("target"),
        )
        scanned_to = rows[-1][0] if len(rows) >= limit else history.count
        return reply(
            {
                "entries": [entry_json(row) for row in rows],
                "next": max(since, scanned_to),
                "total": history.count,
                "missed": max(0, history.first - since - 1),
                "file": str(history.path) if history.path else None,
            }
        )
