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
import os
import signal
import sys

from .config import CONTROL_TOKEN_ENV, CONTROL_TOKEN_HEADER, ServerConfig
from .guard import bound_beyond_loopback
from .options import (
    burst,
    load_profile,
    new_file,
    non_negative,
    port,
    positive,
    rate_limits,
    rates_for,
    readable_file,
    seconds_or_off,
    symbols,
)
from .projectx import GatewayConfig, build_gateway
from .projectx.catalog import PRODUCTS
from .projectx.gateway import DEFAULT_API_KEY, DEFAULT_USER
from .projectx.profile import DEFAULT_RATES, StreamProfile

log = logging.getLogger("simulator")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m simulator", description="Faultline SignalR / ProjectX simulator"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=0, help="port to bind; 0 picks a free one (default 0)")
    p.add_argument(
        "--control-token",
        default=os.environ.get(CONTROL_TOKEN_ENV) or None,
        metavar="TOKEN",
        help=f"the control API (/_sim/) then needs it in {CONTROL_TOKEN_HEADER} (GET /_sim/health aside); "
        f"default ${CONTROL_TOKEN_ENV}. Set one whenever --host is not loopback",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for every generated stream (default 0)")
    p.add_argument(
        "--keep-alive",
        type=seconds_or_off,
        default=15.0,
        metavar="S",
        help="server Ping after S seconds without sending; 'off' disables (default 15)",
    )
    p.add_argument(
        "--client-timeout",
        type=seconds_or_off,
        default=30.0,
        metavar="S",
        help="close a client silent for S seconds; 'off' disables (default 30)",
    )
    p.add_argument(
        "--handshake-timeout",
        type=seconds_or_off,
        default=15.0,
        metavar="S",
        help="give up on a handshake after S seconds (default 15)",
    )
    p.add_argument(
        "--disconnect-timeout",
        type=positive(float),
        default=15.0,
        metavar="S",
        help="forget a negotiated id not connected within S seconds (default 15)",
    )
    p.add_argument(
        "--max-message-size",
        type=positive(int),
        default=32 * 1024,
        metavar="BYTES",
        help="largest record accepted from a client (default 32768)",
    )
    p.add_argument(
        "--ws-heartbeat",
        type=seconds_or_off,
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
        type=non_negative,
        default=10.0,
        metavar="PER_S",
        help="Tick invocations per second on /hubs/demo; 0 disables (default 10)",
    )
    p.add_argument(
        "--profile",
        type=readable_file,
        metavar="FILE",
        help="read flags from a TOML (.toml) or JSON file; flags on the command line win",
    )
    stream = p.add_argument_group("market streams")
    stream.add_argument(
        "--symbols",
        type=symbols,
        default=("MNQ", "MES", "MGC"),
        metavar="LIST",
        help=f"products, comma-separated, from {','.join(PRODUCTS)} (default MNQ,MES,MGC)",
    )
    stream.add_argument(
        "--months",
        type=positive(int),
        default=1,
        metavar="N",
        help="quarterly expiries listed per product, front first (default 1): contracts = symbols x N",
    )
    stream.add_argument(
        "--quote-rate",
        type=non_negative,
        default=DEFAULT_RATES["quote"],
        metavar="PER_S",
        help="price steps (quote + depth increment) per contract per second (default 4)",
    )
    stream.add_argument(
        "--trade-rate",
        type=non_negative,
        default=DEFAULT_RATES["trade"],
        metavar="PER_S",
        help="trades (trade + depth increment) per contract per second (default 2)",
    )
    stream.add_argument(
        "--depth-rate",
        type=non_negative,
        default=DEFAULT_RATES["depth"],
        metavar="PER_S",
        help="extra depth-only size changes per contract per second (default 0)",
    )
    stream.add_argument(
        "--rates",
        type=rates_for,
        action="append",
        default=[],
        metavar="KEY:KIND=R,...",
        help="rates for one symbol or contract id, e.g. MNQ:quote=40,trade=20 (repeatable)",
    )
    stream.add_argument(
        "--burst",
        type=burst,
        action="append",
        default=[],
        metavar="SPEC",
        help="factor=F,duration=S[,start=S][,every=S][,contracts=A+B][,events=quote+trade]: "
        "multiply rates (repeatable)",
    )
    stream.add_argument(
        "--record",
        type=new_file,
        metavar="FILE",
        help="write every event the hubs publish to a new FILE (JSON lines) for --replay",
    )
    stream.add_argument(
        "--replay",
        type=readable_file,
        metavar="FILE",
        help="stream a --record file instead of generating the market",
    )
    stream.add_argument(
        "--replay-speed",
        type=positive(float),
        default=1.0,
        metavar="X",
        help="replay X times faster than recorded (default 1: the original timing)",
    )
    stream.add_argument(
        "--replay-start",
        choices=("at-start", "on-request"),
        default="at-start",
        help="when the replay's clock starts: with the server (default), or on POST /_sim/replay/start "
        "(a harness starts it once its client has subscribed, so recorded times line up with its faults)",
    )
    stream.add_argument(
        "--history-file",
        type=new_file,
        metavar="FILE",
        help="write the send history (every message to every connection) to a new FILE (JSON lines)",
    )
    stream.add_argument(
        "--history-limit",
        type=positive(int),
        default=200_000,
        metavar="N",
        help="send-history entries kept in memory for GET /_sim/history (default 200000)",
    )
    gateway = p.add_argument_group("gateway")
    gateway.add_argument(
        "--token-lifetime",
        type=positive(float),
        default=24 * 3600.0,
        metavar="S",
        help="lifetime of issued JWTs in seconds (default 86400)",
    )
    gateway.add_argument(
        "--user", default=DEFAULT_USER, help=f"the userName Auth/loginKey accepts (default {DEFAULT_USER})"
    )
    gateway.add_argument(
        "--api-key", default=DEFAULT_API_KEY, help=f"the apiKey it accepts (default {DEFAULT_API_KEY})"
    )
    gateway.add_argument(
        "--rate-limits",
        type=rate_limits,
        default=None,
        metavar="SPEC",
        help="answer 429 past a request rate: 'gateway' (the real limits: History/retrieveBars "
        "50 per 30 s, other authenticated endpoints 200 per 60 s), 'bars=N/S,other=N/S', "
        "or 'off' (default)",
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
        history_limit=args.history_limit,
        history_path=str(args.history_file) if args.history_file else None,
        control_token=args.control_token,
    )


def gateway_config_from_args(args: argparse.Namespace) -> GatewayConfig:
    profile = StreamProfile(
        default={"quote": args.quote_rate, "trade": args.trade_rate, "depth": args.depth_rate},
        overrides={},
        bursts=tuple(args.burst),
    )
    for key, rates in args.rates:
        profile = profile.with_rates(rates, key)
    return GatewayConfig(
        seed=args.seed,
        symbols=args.symbols,
        months=args.months,
        token_lifetime_s=args.token_lifetime,
        credentials={args.user: args.api_key},
        profile=profile,
        demo_rate_per_s=args.demo_rate,
        rate_limits=args.rate_limits,
        record_path=args.record,
        replay_path=args.replay,
        replay_speed=args.replay_speed,
        replay_on_request=args.replay_start == "on-request",
    )


async def serve(args: argparse.Namespace) -> int:
    gateway = build_gateway(config_from_args(args), gateway_config_from_args(args))
    server = gateway.server
    try:
        await server.start()
    except OSError as exc:
        if exc.filename is not None:  # --history-file or --record
            print(f"error: cannot create {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        else:
            print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"listening on {server.url}", flush=True)
    if bound_beyond_loopback(args.host) and args.control_token is None:
        print(
            f"warning: bound to {args.host} without --control-token: anyone who can reach this port can "
            "drive the control API (/_sim/: inject faults, expire tokens, read requests)",
            file=sys.stderr,
            flush=True,
        )
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line over the profile's values (``--profile``) over the defaults."""
    parser = build_parser()
    first, _ = parser.parse_known_args(argv)
    if first.profile is not None:
        load_profile(parser, first.profile)
    args = parser.parse_args(argv)
    if args.replay is None and args.replay_start != "at-start":
        parser.error("--replay-start needs --replay")
    if args.replay is not None and args.record is not None:
        parser.error("--record and --replay cannot be combined (a replay is already a recording)")
    named = [key for key, _ in args.rates] + [c for b in args.burst for c in sorted(b.contracts or ())]
    for key in named:
        symbol = key.split(".")[3] if key.startswith("CON.F.US.") and key.count(".") == 4 else key
        if symbol not in args.symbols:
            parser.error(
                f"{key!r} is not one of the listed symbols {','.join(args.symbols)} or their contracts"
            )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(serve(args))
