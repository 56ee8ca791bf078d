"""Session tokens as the Gateway issues them: real-looking JWTs (HS256) with ``exp``.

The SDK decodes the payload to read ``exp`` (it never checks the signature); the simulator does
check it, so a token it did not issue is "unknown". Tokens can be expired or revoked early (the
control API does, for token-expiry scenarios); an expired, revoked or unknown token gets 401 on
REST, on negotiate and on the WebSocket upgrade. Only the exact text issued is accepted: a token
with anything appended or changed (which a lenient base64 decoder would still read) is unknown.

The store is bounded whatever logs in: a token is forgotten ``RETAIN_EXPIRED_S`` after it
expired (until then it is "expired", after that "unknown"), and past ``MAX_TOKENS`` the oldest
go first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import abc
from dataclasses import dataclass, field
from enum import Enum

from ..recording import fingerprint as fingerprint_of

MAX_TOKENS = 10_000
RETAIN_EXPIRED_S = 3600.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenProblem(Enum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(slots=True)
class IssuedToken:
    jti: str
    fingerprint: str  # as the connection records show it: sha256 of the token
    user: str
    issued_at: float
    expires_at: float
    revoked: bool = False
    uses: int = field(default=0)


class TokenError(Exception):
    def __init__(self, problem: TokenProblem, expires_at: float | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.expires_at = expires_at  # for EXPIRED: when it did


def challenge(error: TokenError | None) -> str:
    """The ``WWW-Authenticate`` of a 401, as ASP.NET Core's JwtBearer handler writes it with its
    default ``IncludeErrorDetails``: ``Bearer`` when no token came; for a refused one
    ``Bearer error="invalid_token"`` and the reason (an expired token's expiry in the invariant
    culture's ``MM/dd/yyyy HH:mm:ss``, UTC). A revoked token is one the Gateway no longer knows."""
    if error is None:
        return "Bearer"
    if error.problem is TokenProblem.EXPIRED and error.expires_at is not None:
        expired = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(error.expires_at))
        return f'Bearer error="invalid_token", error_description="The token expired at \'{expired}\'"'
    return 'Bearer error="invalid_token", error_description="The signature is invalid"'


class TokenService:
    def __init__(self, lifetime_s: float = 24 * 3600, clock: abc.Callable[[], float] = time.time) -> None:
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._secret = secrets.token_bytes(32)
        self._issued: dict[str, IssuedToken] = {}

    def issue(self, user: str, lifetime_s: float | None = None) -> str:
        now = self.clock()
        lifetime = self.lifetime_s if lifetime_s is None else lifetime_s
        self._purge(now)
        token = IssuedToken(secrets.token_hex(8), "", user, now, now + lifetime)
        self._issued[token.jti] = token
        header = {"alg": "HS256", "typ": "JWT"}
        payload = {
            "sub": user,
            "name": user,
            "jti": token.jti,
            "iat": int(now),
            "nbf": int(now),
            "exp": int(token.expires_at),
            "iss": "https://api.topstepx.com",
            "aud": "https://api.topstepx.com",
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        jwt = f"{signing_input}.{_b64(signature)}"
        token.fingerprint = fingerprint_of(jwt)
        return jwt

    def _purge(self, now: float) -> None:
        """Forget tokens long expired, then the oldest past ``MAX_TOKENS - 1`` (room for one more)."""
        stale = [jti for jti, t in self._issued.items() if now - t.expires_at > RETAIN_EXPIRED_S]
        for jti in stale:
            del self._issued[jti]
        for jti in list(self._issued)[: max(0, len(self._issued) - MAX_TOKENS + 1)]:
            del self._issued[jti]

    def validate(self, token: str) -> IssuedToken:
        """The issued token, or ``TokenError`` saying why it is not acceptable now."""
        issued = self._lookup(token)
        if issued is None:
            raise TokenError(TokenProblem.UNKNOWN)
        if issued.revoked:
            raise TokenError(TokenProblem.REVOKED)
        if self.clock() >= issued.expires_at:
            raise TokenError(TokenProblem.EXPIRED, issued.expires_at)
        issued.uses += 1
        return issued

    def _lookup(self, token: str) -> IssuedToken | None:
        try:
            header, payload, signature = token.split(".")
            expected = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None
            jti = json.loads(_unb64(payload))["jti"]
        except (ValueError, KeyError, TypeError):
            return None
        issued = self._issued.get(jti) if isinstance(jti, str) else None
        if issued is None or not hmac.compare_digest(issued.fingerprint, fingerprint_of(token)):
            return None  # the signature matched, but this is not the text issued (junk appended)
        return issued

    def select(self, token: str | None = None, *, fingerprint: str | None = None) -> list[IssuedToken]:
        """The token given (as text or by its fingerprint), or every token when neither is."""
        if token is not None:
            found = self._lookup(token)
            return [found] if found is not None else []
        if fingerprint is not None:
            return [t for t in self._issued.values() if t.fingerprint == fingerprint]
        return list(self._issued.values())

    def expire(self, token: str | None = None, *, fingerprint: str | None = None, in_s: float = 0.0) -> int:
        """Make the selected tokens expire ``in_s`` seconds from now (never later). Returns how many."""
        selected = self.select(token, fingerprint=fingerprint)
        deadline = self.clock() + in_s
        for issued in selected:
            issued.expires_at = min(issued.expires_at, deadline)
        return len(selected)

    def revoke(self, token: str | None = None, *, fingerprint: str | None = None) -> int:
        selected = self.select(token, fingerprint=fingerprint)
        for issued in selected:
            issued.revoked = True
        return len(selected)

    def summary(self) -> list[dict[str, object]]:
        now = self.clock()
        return [
            {
                "jti": t.jti,
                "fingerprint": t.fingerprint,
                "user": t.user,
                "expiresInS": round(t.expires_at - now, 3),
                "revoked": t.revoked,
                "uses": t.uses,
            }
            for t in self._issued.values()
        ]
