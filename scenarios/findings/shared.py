"""Findings several clients share word for word (see ``scenarios/findings/__init__.py``)."""

from __future__ import annotations

from harness.chaos import Finding

HANDSHAKE_NOT_TIMED_OUT = Finding(
    ("R8", "R14"),
    "a handshake that never comes is not timed out: the hub stays reconnecting past the scenario",
    ("attempts_bounded_by_connect_timeout", "recovered_within", "connected_at_end"),
)
DELIVERED_TWICE = Finding(
    ("X1",),
    "duplicated invocations reach the callbacks twice: no sequence check",
    ("no_event_delivered_twice",),
)
PINGS_NEVER_SUSPECTED = Finding(
    ("R2",), "a hub whose pings stop is never suspected: no server timeout", ("silent_user_hub_noticed",)
)
