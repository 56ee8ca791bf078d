"""The reference client as the harness runs it: its timers scaled to seconds (so scenarios run in
seconds, against the simulator's scaled flags, ``infra/gateway.py``), and the deliberate leak the
soak's positive control asks of it (``--leak``, parsed here for the soak's CLI and the driver).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from typing import Any

from client import BackoffPolicy, ClientConfig, HeartbeatPolicy

SIZES = {"": 1.0, "b": 1.0, "kb": 1e3, "k": 1e3, "mb": 1e6, "m": 1e6, "gb": 1e9, "g": 1e9}


def client_config(base_url: str, user_url: str, market_url: str, seed: int, **changes: Any) -> ClientConfig:
    """The reference client with timers scaled to seconds, so scenarios run in seconds."""
    config = ClientConfig(
        base_url,
        user_hub_url=user_url,
        market_hub_url=market_url,
        connect_timeout_s=3.0,
        operation_timeout_s=3.0,
        keep_alive_interval_s=0.5,
        server_timeout_s=2.0,
        heartbeat=HeartbeatPolicy(interval_s=0.5, timeout_s=1.0),
        backoff=BackoffPolicy(initial_s=0.1, max_s=1.0),
        seed=seed,
    )
    return replace(config, **changes)


def size(text: str) -> float:
    """``5MB``, ``512k``, ``1e6`` -> bytes."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmg]?b?)\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 5MB, 512kB)")
    return float(match.group(1)) * SIZES[match.group(2)]


def leak(text: str) -> str:
    kind, _, amount = text.partition(":")
    ok = (kind == "callbacks" and amount.isdigit() and int(amount) >= 1) or (
        kind == "bytes" and re.fullmatch(r"[0-9]*\.?[0-9]+[kKMG]?B?", amount) is not None
    )
    if not ok:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected callbacks:N (N >= 1) or bytes:RATE per hour (e.g. bytes:5M)"
        )
    return text
