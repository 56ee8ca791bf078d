"""Request rate limits answering 429, as the Gateway enforces them on authenticated requests.

The documented limits (gateway.docs.projectx.com, "Rate Limits"): ``POST /api/History/retrieveBars``
50 requests per 30 seconds; every other authenticated endpoint 200 requests per 60 seconds. The
Gateway's answer past a limit is HTTP 429; its body and headers are not documented, so the
simulator sends ASP.NET Core's rate limiter default: 429, no body, no ``Retry-After``
(project-x-py ignores ``Retry-After`` anyway and sleeps 60 s before one retry).

Windows slide: a request is allowed when fewer than ``count`` requests of the same user and bucket
were allowed in the last ``window_s`` seconds. Refused requests do not count.
"""

from __future__ import annotations

import time
from collections import abc, defaultdict, deque
from dataclasses import dataclass

BARS_PATH = "history/retrievebars"


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_s: float

    def to_text(self) -> str:
        return f"{self.count}/{self.window_s:g}"


GATEWAY_LIMITS = {"bars": Limit(50, 30.0), "other": Limit(200, 60.0)}


def parse_limits(text: str) -> dict[str, Limit] | None:
    """``gateway``, ``off``, or ``bars=N/S,other=N/S`` (either part may be left out: unlimited)."""
    text = text.strip().lower()
    if text in ("off", "none", ""):
        return None
    if text == "gateway":
        return dict(GATEWAY_LIMITS)
    limits: dict[str, Limit] = {}
    for part in text.split(","):
        name, sep, spec = part.strip().partition("=")
        count, slash, window = spec.partition("/")
        if not sep or not slash or name not in GATEWAY_LIMITS:
            raise ValueError(f"expected bars=N/S,other=N/S, 'gateway' or 'off', got {part.strip()!r}")
        try:
            limit = Limit(int(count), float(window))
        except ValueError:
            raise ValueError(f"{name}: expected N/S with whole N and seconds S, got {spec!r}") from None
        if limit.count < 1 or limit.window_s <= 0:
            raise ValueError(f"{name}: N and S must be greater than 0, got {spec!r}")
        limits[name] = limit
    return limits


class RateLimiter:
    def __init__(self, limits: dict[str, Limit], clock: abc.Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.refused = 0
        self._allowed: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)

    def allow(self, user: str, path: str) -> bool:
        bucket = "bars" if path == BARS_PATH else "other"
        limit = self.limits.get(bucket)
        if limit is None:
            return True
        now = self.clock()
        allowed = self._allowed[(user, bucket)]
        while allowed and allowed[0] <= now - limit.window_s:
            allowed.popleft()
        if len(allowed) >= limit.count:
            self.refused += 1
            return False
        allowed.append(now)
        return True
