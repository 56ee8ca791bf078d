"""What a client is configured with. Every duration is in seconds and bounded: nothing waits forever.

Defaults follow ASP.NET Core's client (keep-alive 15 s, server timeout 30 s) and the review's
recommendations (an application heartbeat, capped backoff, bounded queues, breakers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .backoff import BackoffPolicy


@dataclass(frozen=True, slots=True)
class HeartbeatPolicy:
    """The application-level liveness check (R18): an invocation the hub must answer.

    Any Completion proves the hub's pipeline is alive, not just the socket: the real Gateway
    answers a method it does not know with an error Completion, and that round trip is what is
    timed. None for ``method`` turns it off.
    """

    method: str | None = "Heartbeat"
    interval_s: float = 10.0
    timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    """Bounded queues between the socket and the callbacks (R5, R15), one policy per kind:

    - quotes: coalesced per contract (a newer quote replaces an unread one), so at most one per
      contract waits;
    - depth: at most ``depth_queue`` increments wait; past that the contract's increments are
      dropped and its depth is resubscribed, which brings a fresh snapshot (a ``gap`` event says so);
    - market trades: at most ``trade_queue`` wait; past that the oldest is dropped and counted
      (a ``gap`` event says so);
    - user events (accounts, orders, positions, trades): never dropped; when ``user_queue`` wait,
      the user hub stops reading until the callbacks catch up (TCP pushes back on the server).
    """

    trade_queue: int = 10_000
    depth_queue: int = 10_000
    user_queue: int = 10_000
    batch: int = 256  # events dispatched between yields to the event loop


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """How callbacks are isolated (R6, R9)."""

    max_per_kind: int = 64
    timeout_s: float = 1.0  # an async callback running longer is cancelled and counted as failed
    breaker_failures: int = 5  # failures in a row that open a callback's breaker
    breaker_cooldown_s: float = 10.0  # then one trial call; success closes the breaker
    error_log_interval_s: float = 10.0  # at most one error log line per callback per interval


@dataclass(frozen=True, slots=True)
class ClientConfig:
    base_url: str  # http://host:port; the hubs are at /hubs/user and /hubs/market
    protocol: str = "json"  # or "messagepack"
    user_hub_url: str | None = None  # default: base_url + /hubs/user (set to go through a proxy)
    market_hub_url: str | None = None  # default: base_url + /hubs/market
    connect_timeout_s: float = 10.0  # one attempt: negotiate + upgrade + handshake + resubscribe
    operation_timeout_s: float = 10.0  # subscribe, invoke, close
    keep_alive_interval_s: float = 15.0  # SignalR Ping when nothing was sent for this long
    server_timeout_s: float = 30.0  # the hub is dead when nothing arrived for this long
    honor_allow_reconnect: bool = True  # a Close with allowReconnect false ends the hub (FAILED)
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    heartbeat: HeartbeatPolicy = field(default_factory=HeartbeatPolicy)
    dispatch: DispatchPolicy = field(default_factory=DispatchPolicy)
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)
    seed: int | None = None  # seeds the backoff jitter (None: from the OS)

    def hub_url(self, hub: str) -> str:
        url = self.user_hub_url if hub == "user" else self.market_hub_url
        return url or f"{self.base_url.rstrip('/')}/hubs/{hub}"
