"""Server-side faults, one file each, registered by name (``REGISTRY``); injected and cleared
through the control API (``POST /_sim/faults``), scoped to every hub, one hub or one connection.

Network faults (partitions, half-open links, latency) are Toxiproxy's (``harness/faults``); these
are what only the server can do.
"""

from . import (
    bad_bytes,
    duplicate_messages,
    error_completions,
    http_status,
    hub_down,
    reject_handshake,
    slow,
    split_frames,
    stop_pings,
)
from .base import REGISTRY, ActiveFault, FaultError, FaultSet, ServerFault, make_fault

__all__ = [
    "REGISTRY",
    "ActiveFault",
    "FaultError",
    "FaultSet",
    "ServerFault",
    "bad_bytes",
    "duplicate_messages",
    "error_completions",
    "http_status",
    "hub_down",
    "make_fault",
    "reject_handshake",
    "slow",
    "split_frames",
    "stop_pings",
]
