"""``python -m simulator``: run the simulator until SIGINT or SIGTERM.

The first line on stdout is ``listening on http://HOST:PORT`` (the real port when 0 was asked),
so a harness can wait for it. Bad flags exit 2 with usage; a port that cannot be bound exits 1
with the reason. On a signal every connection is closed (Close with allowReconnect, then
WebSocket close) and the process exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections import abc

from .config import ServerConfig
from .projectx import GatewayConfig, build_gateway
from .projectx.catalog import PRODUCTS

log = logging.getLogger("simulator")


def _number(kind: abc.Callable[[str], float], *, zero_allowed: bool) -> abc.Callable[[str], float]:
    """An argparse type: ``kind`` of the text, greater than 0 (or at least 0 if ``zero_allowed``)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0 or (value == 0 and not zero_allowed):
            bound = "must not be negative" if zero_allowed else "must be greater than 0"
            raise argparse.ArgumentTypeError(f"{bound}: {text!r}")
        return value

    return parse


def _positive(kind: abc.Callable[[str], float]) -> abc.Callable[[str], float]:
    return _number(kind, zero_allowed=False)


_non_negative = _number(float, zero_allowed=True)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {port}")
    return port


def _symbols(text: str) -> tuple[str, ...]:
    symbols = tuple(s.strip().upper() for s in text.split(",") if s.strip())
    unknown = [s for s in symbols if s not in PRODUCTS]
    if not symbols or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown symbol(s) {unknown or text!r}: choose from {','.join(PRODUCTS)}"
        )
    return symbols


def _seconds_or_off(text: str) -> float | None:
    if text.lower() in ("off", "none", "0"):
        return None
    return _positive(float)(text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m simulator", description="Faultline SignalR / ProjectX simulator"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=0, help="port to bind; 0 picks a free one (default 0)")
    p.add_argument("--seed", type=int, default=0, help="seed for every generated stream (default 0)")
    p.add_argument(
        "--keep-alive",
        type=_seconds_or_off,
        default=15.0,
        metavar="S",
        help="server Ping after S seconds without sending; 'off' disables (default 15)",
    )
    p.add_argument(
        "--client-timeout",
        type=_seconds_or_off,
        default=30.0,
        metavar="S",
        help="close a client silent for S seconds; 'off' disables (default 30)",
    )
    p.add_argument(
        "--handshake-timeout",
        type=_seconds_or_off,
        default=15.0,
        metavar="S",
        help="give up on a handshake after S seconds (default 15)",
    )
    p.add_argument(
        "--disconnect-timeout",
        type=_positive(float),
        default=15.0,
        metavar="S",
        help="forget a negotiated id not connected within S seconds (default 15)",
    )
    p.add_argument(
        "--max-message-size",
        type=_positive(int),
        default=32 * 1024,
        metavar="BYTES",
        help="largest record accepted from a client (default 32768)",
    )
    p.add_argument(
        "--ws-heartbeat",
        type=_seconds_or_off,
        default=None,
        metavar="S",
        help="send WebSocket-level pings every S seconds (default off: some clients never answer)",
    )
    p.add_argument(
        "--no-coalesce",
        action="store_true",
        help="one record per WebSocket frame instead of joining queued records",
    )
    p.add_argument(
        "--demo-rate",
        type=float,
        default=10.0,
        metavar="PER_S",
        help="Tick invocations per second on /hubs/demo; 0 disables (default 10)",
    )
    p.add_argument(
        "--symbols",
        type=_symbols,
        default=("MNQ", "MES", "MGC"),
        metavar="LIST",
        help=f"contracts, comma-separated, from {','.join(PRODUCTS)} (default MNQ,MES,MGC)",
    )
    p.add_argument(
        "--quote-rate",
        type=_non_negative,
        default=4.0,
        metavar="PER_S",
        help="price steps (quote + depth) per contract per second (default 4)",
    )
    p.add_argument(
        "--trade-rate",
        type=_non_negative,
        default=2.0,
        metavar="PER_S",
        help="trades per contract per second (default 2)",
    )
    p.add_argument(
        "--token-lifetime",
        type=_positive(float),
        default=24 * 3600.0,
        metavar="S",
        help="lifetime of issued JWTs in seconds (default 86400)",
    )
    p.add_argument("--user", default="sim", help="the userName Auth/loginKey accepts (default sim)")
    p.add_argument(
        "--api-key", default="sim-api-key-0001", help="the apiKey it accepts (default sim-api-key-0001)"
    )
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    return ServerConfig(
        host=args.host,
        port=args.port,
        keep_alive_interval_s=args.keep_alive,
        client_timeout_s=args.client_timeout,
        handshake_timeout_s=args.handshake_timeout,
        disconnect_timeout_s=args.disconnect_timeout,
        max_receive_message_size=int(args.max_message_size),
        ws_heartbeat_s=args.ws_heartbeat,
        coalesce_frames=not args.no_coalesce,
    )


async def serve(args: argparse.Namespace) -> int:
    gateway = build_gateway(
        config_from_args(args),
        GatewayConfig(
            seed=args.seed,
            symbols=args.symbols,
            token_lifetime_s=args.token_lifetime,
            credentials={args.user: args.api_key},
            quote_rate_per_s=args.quote_rate,
            trade_rate_per_s=args.trade_rate,
            demo_rate_per_s=args.demo_rate,
        ),
    )
    server = gateway.server
    try:
        await server.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"listening on {server.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        log.info("signal received: closing %d connection(s)", len(server.sessions))
    finally:
        await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(serve(args))
