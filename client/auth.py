"""Tokens for the hubs (R3, R11): fresh on every connect, refreshed before expiry and after a 401.

A ``TokenProvider`` hands out a token that is valid for at least ``refresh_margin_s`` more. The
Gateway provider refreshes with ``Auth/validate`` (a new token for the caller's own) and falls
back to ``Auth/loginKey``. Refreshes are single-flight: concurrent callers share one request, no
lock is held across it, and each caller waits at most ``timeout_s``. A failed refresh leaves the
previous token in place (while it is still valid) and raises; nothing is half-updated.

Tokens travel only in ``Authorization: Bearer`` headers; this module never logs one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections import abc
from typing import Any, Protocol

import aiohttp

from .errors import AuthError, ConnectError, OperationTimeout

log = logging.getLogger(__name__)

UNKNOWN_LIFETIME_S = 3600.0  # a token whose exp cannot be read is trusted for an hour


class TokenProvider(Protocol):
    async def token(self) -> str:
        """A token valid for a while yet."""

    def invalidate(self, token: str) -> None:
        """The server refused ``token`` (401): never hand it out again."""


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (epoch seconds), or None when it cannot be read."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


class StaticToken:
    """One fixed token (tests, or a token obtained elsewhere)."""

    def __init__(self, token: str) -> None:
        self._token: str | None = token

    async def token(self) -> str:
        if self._token is None:
            raise AuthError("auth", "the token was refused and there is no way to get another")
        return self._token

    def invalidate(self, token: str) -> None:
        if token == self._token:
            self._token = None


class GatewayTokens:
    def __init__(
        self,
        base_url: str,
        user: str,
        api_key: str,
        *,
        refresh_margin_s: float = 300.0,
        timeout_s: float = 10.0,
        clock: abc.Callable[[], float] = time.time,
    ) -> None:
        self.api_url = base_url.rstrip("/") + "/api"
        self.user = user
        self._api_key = api_key
        self.refresh_margin_s = refresh_margin_s
        self.timeout_s = timeout_s
        self.clock = clock
        self.refreshes = 0
        self._token: str | None = None
        self._expires_at = 0.0
        self._inflight: asyncio.Task[str] | None = None
        self._session: aiohttp.ClientSession | None = None

    def _fresh(self) -> bool:
        return self._token is not None and self.clock() < self._expires_at - self.refresh_margin_s

    @property
    def current(self) -> str | None:
        """The token held now, if any (without refreshing it)."""
        return self._token

    async def token(self) -> str:
        if self._fresh():
            assert self._token is not None
            return self._token
        if self._inflight is None:
            self._inflight = asyncio.create_task(self._refresh(), name="token-refresh")
            self._inflight.add_done_callback(self._refresh_done)
        try:
            async with asyncio.timeout(self.timeout_s):
                return await asyncio.shield(self._inflight)
        except TimeoutError:
            raise OperationTimeout(f"token refresh took longer than {self.timeout_s} s") from None

    def _refresh_done(self, task: asyncio.Task[str]) -> None:
        self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved: a caller that timed out must not leave it unobserved

    def invalidate(self, token: str) -> None:
        if token == self._token:
            self._token, self._expires_at = None, 0.0

    async def _refresh(self) -> str:
        current = self._token if self._token is not None and self.clock() < self._expires_at else None
        new = None
        if current is not None:
            body = await self._post("Auth/validate", {}, current)
            new = body.get("newToken") or body.get("token") if body.get("success") else None
        if new is None:
            body = await self._post("Auth/loginKey", {"userName": self.user, "apiKey": self._api_key}, None)
            new = body.get("token") if body.get("success") else None
            if not isinstance(new, str):
                raise AuthError("auth", f"Auth/loginKey refused: {body.get('errorMessage') or 'no token'}")
        self.refreshes += 1
        self._token = str(new)
        self._expires_at = token_expiry(self._token) or self.clock() + UNKNOWN_LIFETIME_S
        log.info("token refreshed for %s; valid for %.0f s", self.user, self._expires_at - self.clock())
        return self._token

    async def _post(self, path: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        try:
            async with self._session.post(f"{self.api_url}/{path}", json=body, headers=headers) as response:
                if response.status == 401:
                    return {"success": False, "errorMessage": "401"}
                if response.status != 200:
                    raise ConnectError("auth", f"{path} answered HTTP {response.status}")
                reply = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ConnectError("auth", f"{path} failed: {exc or type(exc).__name__}") from exc
        if not isinstance(reply, dict):
            raise ConnectError("auth", f"{path} answered something that is not a JSON object")
        return reply

    async def close(self) -> None:
        if self._inflight is not None:
            self._inflight.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._inflight
        if self._session is not None:
            await self._session.close()
            self._session = None
