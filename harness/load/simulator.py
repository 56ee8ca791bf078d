"""The simulator side of a load run: start one when the user gave no ``--host``, and set the
market's stream rates through the control API (``POST /_sim/market/rates``)."""

from __future__ import annotations

from pathlib import Path

from ..infra.processes import SimulatorProcess, control_headers
from .feed import post_json

# Server-side client timeout as ASP.NET's default; no server-side history file (its writes would
# cost the server ~0.2 us per message per connection for nothing a load run reads).
FLAGS = ("--log-level", "WARNING", "--quote-rate", "0", "--trade-rate", "0", "--depth-rate", "0",
         "--demo-rate", "0", "--history-limit", "1000")  # fmt: skip


def start(months: int, symbols: str, log_path: Path) -> SimulatorProcess:
    """A simulator with ``symbols`` x ``months`` contracts, streams idle until ``set_rates``."""
    process = SimulatorProcess(*FLAGS, "--symbols", symbols, "--months", str(months), log_path=log_path)
    process.start()
    return process


def set_rates(base: str, quote: float, trade: float, depth: float) -> None:
    """Events per second per contract and kind, for every contract (each event is one or two hub
    messages: a quote also moves a depth level, a trade takes depth)."""
    url = f"{base}/_sim/market/rates"
    post_json(url, {"quote": quote, "trade": trade, "depth": depth}, headers=control_headers(url))
