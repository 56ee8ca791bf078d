"""Server settings. Defaults are ASP.NET Core's; tests shrink the timers to fractions of a second."""

from __future__ import annotations

from dataclasses import dataclass

from signalr_protocol import Timeouts

CONTROL_TOKEN_HEADER = "X-Faultline-Control-Token"
CONTROL_TOKEN_ENV = "FAULTLINE_CONTROL_TOKEN"  # python -m simulator reads --control-token from it


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 0
    keep_alive_interval_s: float | None = 15.0  # server Ping after this long without sending
    client_timeout_s: float | None = 30.0  # close a client silent for this long
    handshake_timeout_s: float | None = 15.0
    disconnect_timeout_s: float = 15.0  # a negotiated id not connected within this is forgotten
    max_receive_message_size: int | None = 32 * 1024  # bytes per incoming record (ASP.NET default)
    minimum_negotiate_version: int = 0
    ws_heartbeat_s: float | None = None  # WebSocket-level pings: off, signalrcore 1.0.x never pongs
    ws_autoping: bool = True  # answer client WebSocket pings
    coalesce_frames: bool = True  # join queued records into one frame, as Kestrel's pipes do
    max_frame_bytes: int = 64 * 1024  # coalesced frames never exceed this (whole records only)
    send_buffer_limit_bytes: int = 32 * 1024 * 1024  # a client this far behind is dropped
    transport_send_timeout_s: float = 10.0  # a single stuck write closes the connection
    record_message_limit: int = 100_000  # messages kept per connection record (counts are exact)
    history_limit: int = 200_000  # send-history entries kept in memory (all connections)
    history_path: str | None = None  # also append every send-history entry to this JSON-lines file
    control_token: str | None = None  # /_sim/ then needs it in X-Faultline-Control-Token (health aside)

    @property
    def timeouts(self) -> Timeouts:
        return Timeouts(
            keep_alive_interval_s=self.keep_alive_interval_s,
            peer_timeout_s=self.client_timeout_s,
            handshake_timeout_s=self.handshake_timeout_s,
        )
