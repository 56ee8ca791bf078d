"""Who may drive the control API (``/_sim/``): its owner, never a web page the developer visits.

A page in the developer's browser can send requests to any port on 127.0.0.1: a ``text/plain``
POST needs no preflight, and DNS rebinding (a page's own name resolving to 127.0.0.1) lets it read
the answers too. ``control_guard`` refuses what only such a page sends; ``--control-token`` covers
a simulator bound beyond loopback (the Docker image), where anyone on the network is a stranger.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections import abc
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from .config import CONTROL_TOKEN_HEADER
from .control import fail

Handler = abc.Callable[[web.Request], abc.Awaitable[web.StreamResponse]]


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _hostname(authority: str) -> str:
    """The host part of ``host[:port]`` (or of a URL's), lower case; "" when it does not parse."""
    try:
        return urlsplit(authority if "//" in authority else f"//{authority}").hostname or ""
    except ValueError:  # "[::1" and the like
        return ""


def bound_beyond_loopback(host: str) -> bool:
    """Whether binding ``host`` lets other machines reach the server (``0.0.0.0``, a LAN address)."""
    return not _loopback(host)


def control_guard(control_token: str | None, bound_host: str) -> Middleware:
    """Middleware: the control API answers its owner only, never a web page the developer visits.

    On ``/_sim/``: an ``Origin`` (browsers send one cross-site) that is not loopback is 403; a body
    that is not ``application/json`` is 415 (a page can post ``text/plain`` without a preflight);
    with a control token, a request without it is 401 (``GET /_sim/health`` aside: a health check
    carries no secret); without one, a ``Host`` that is neither loopback, an IP address nor the
    bound name is 403 (DNS rebinding: a page's own name resolving to 127.0.0.1).
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/_sim/"):
            return await handler(request)
        origin = request.headers.get("Origin")
        if origin is not None and not _loopback(_hostname(origin)):  # "null" too
            raise fail(403, f"cross-site request from {origin[:100]} refused: the control API is its owner's")
        if control_token is not None:
            given = request.headers.get(CONTROL_TOKEN_HEADER, "")
            public = request.method == "GET" and request.path == "/_sim/health"
            if not public and not hmac.compare_digest(given.encode(), control_token.encode()):
                raise fail(401, f"the control API needs the control token in {CONTROL_TOKEN_HEADER}")
        else:
            host = _hostname(request.host)
            if not (_loopback(host) or _ip_literal(host) or host == bound_host.lower()):
                raise fail(403, f"Host {request.host[:100]} refused: use an IP address or localhost")
        if request.can_read_body and request.content_type != "application/json":  # absent: octet-stream
            raise fail(415, "the control API reads application/json bodies only")
        try:
            return await handler(request)
        except web.HTTPException as exc:  # aiohttp's own (no route, wrong method, body too large): JSON too
            if exc.status < 400 or exc.content_type == "application/json":
                raise
            return _as_json(request, exc)

    return guard


def _as_json(request: web.Request, exc: web.HTTPException) -> web.Response:
    """aiohttp's text answer as the control API answers: ``{"error": ...}``, the status (and a
    405's ``Allow``) kept."""
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    if isinstance(exc, web.HTTPMethodNotAllowed):
        takes = ", ".join(sorted(exc.allowed_methods))
        message = f"{request.method} {request.path}: method not allowed; this endpoint takes {takes}"
    elif exc.status == 404:
        message = f"no control endpoint {request.method} {request.path} (docs/simulator.md lists them)"
    else:
        message = (exc.text or exc.reason).removeprefix(f"{exc.status}: ")
    return web.json_response({"error": message}, status=exc.status, headers=headers)
