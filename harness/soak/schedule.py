"""The soak's faults: the catalogue's recoverable ones in rotation, every ``fault_every_s``, for
the whole run, drawn from the seed (``timeline.json`` in the report replays nothing by itself: the
same seed and flags give the same timeline)."""

from __future__ import annotations

import random
from collections import abc

from ..run.timeline import Step, Timeline
from .config import SoakConfig


def fault_cycle(rng: random.Random, at: float, index: int) -> list[Step]:
    """Round ``index`` of the catalogue's recoverable faults, starting ``at`` s (recipes rotate)."""
    recipes: list[abc.Callable[[], list[Step]]] = [
        lambda: [Step(at, "partition", "market", round(rng.uniform(1.0, 2.5), 2))],
        lambda: [  # a token expiring under load: the reconnect must log in again
            Step(at, "expire_tokens", "user"),
            Step(at + 0.2, "server_close", "user", params={"allow_reconnect": True}),
        ],
        lambda: [Step(at, "reset", "market", 0.5)],
        lambda: [Step(at, "half_open", "user", 3.0, params={"direction": "downstream"})],
        lambda: [Step(at, "server_close", "market", params={"allow_reconnect": True})],
    ]
    return recipes[index % len(recipes)]()


def fault_timeline(config: SoakConfig) -> Timeline:
    """Faults every ``fault_every_s`` for the whole run, drawn from the seed."""
    assert config.fault_every_s is not None
    rng = random.Random(config.seed)
    steps: list[Step] = []
    if config.faults:
        for i in range(int((config.duration_s - 3.0) / config.fault_every_s)):
            steps += fault_cycle(rng, (i + 0.5) * config.fault_every_s, i)
    return Timeline(config.seed, steps)
