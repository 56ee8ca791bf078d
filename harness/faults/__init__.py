"""Network faults between a client and one hub, made with the real Toxiproxy: one fault per file,
registered by name (``REGISTRY``), each doing what its name says (``reference/toxiproxy.md`` §1.6).

A fault is applied to one proxy (one hub) and cleared later; ``apply`` and ``clear`` are the only
calls, so a timeline can schedule any of them. Parameters are plain JSON values so a resolved
timeline can be saved and replayed.
"""

from __future__ import annotations

from . import bandwidth, cut_after, half_open, latency, partition, refuse, reset, slicer
from .base import REGISTRY, NetworkFault, fault_named

__all__ = [
    "REGISTRY",
    "NetworkFault",
    "bandwidth",
    "cut_after",
    "fault_named",
    "half_open",
    "latency",
    "partition",
    "refuse",
    "reset",
    "slicer",
]
