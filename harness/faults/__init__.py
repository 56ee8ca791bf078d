"""Every fault a timeline can schedule, one file per registered name (``REGISTRY``), each doing what
its name says. Adding a fault is adding a file here (and its import below).

Network faults, made with the real Toxiproxy on the proxy in front of one hub
(``reference/toxiproxy.md`` §1.6): partition, half_open, reset, latency, bandwidth, slicer,
cut_after, refuse. Server faults, through the simulator's control API: server_close, server_abort,
expire_tokens, burst, and ``server:<name>`` for the simulator's own (``simulator/faults/``).
``names()`` lists them all; ``fault_named`` builds one with its parameters checked.
"""

from __future__ import annotations

from . import (
    bandwidth,
    burst,
    cut_after,
    expire_tokens,
    half_open,
    latency,
    partition,
    refuse,
    reset,
    server_abort,
    server_close,
    simulator,
    slicer,
)
from .base import REGISTRY, Fault, FaultError, FaultTarget, NetworkFault, fault_named, names

__all__ = [
    "REGISTRY",
    "Fault",
    "FaultError",
    "FaultTarget",
    "NetworkFault",
    "bandwidth",
    "burst",
    "cut_after",
    "expire_tokens",
    "fault_named",
    "half_open",
    "latency",
    "names",
    "partition",
    "refuse",
    "reset",
    "server_abort",
    "server_close",
    "simulator",
    "slicer",
]
