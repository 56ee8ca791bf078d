"""The simulator's background work, supervised: no failure in it is silent.

Long-lived loops (the market drive, the demo ticker, the history flusher) report a failed step
with ``step_failed`` and go on with the next one; one-shot work (a replay) runs under ``run`` and,
if it raises, ends logged. Either way ``/_sim/health`` says the simulator is degraded and names the
task, its error and how often it failed: a test run on a simulator whose market stopped moving
can no longer look green. ``stop`` cancels a task without raising what it already reported, so
shutting down (SIGTERM) exits cleanly whatever happened before.

The first failure of a task is logged with its traceback, later ones as one line every
``LOG_EVERY``-th time: a step that fails on every event must not flood the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import abc
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("simulator.tasks")
LOG_EVERY = 1000


@dataclass(slots=True)
class TaskFailure:
    failures: int = 0
    last_error: str = ""
    last_at: float = 0.0
    ended: bool = False  # the task stopped for good (one-shot work that raised)

    def to_json(self) -> dict[str, Any]:
        return {
            "failures": self.failures,
            "lastError": self.last_error,
            "lastAt": round(self.last_at, 3),
            "state": "ended" if self.ended else "running",
        }


class Supervisor:
    def __init__(self) -> None:
        self.failed: dict[str, TaskFailure] = {}

    @property
    def degraded(self) -> bool:
        return bool(self.failed)

    def step_failed(self, name: str, exc: BaseException, *, ended: bool = False) -> None:
        """Record (and log) that one step of ``name`` raised ``exc``."""
        entry = self.failed.setdefault(name, TaskFailure())
        entry.failures += 1
        entry.last_error = f"{type(exc).__name__}: {exc}"[:300]
        entry.last_at = time.time()
        entry.ended = entry.ended or ended
        what = "ended" if ended else "failed; it goes on"
        if entry.failures == 1:
            log.error("background task %s %s", name, what, exc_info=exc)
        elif entry.failures % LOG_EVERY == 0 or ended:
            log.error("background task %s %s (%d failures): %s", name, what, entry.failures, entry.last_error)

    def run(self, name: str, work: abc.Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Start one-shot ``work``; if it raises, that is logged and recorded, never lost."""

        async def supervised() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.step_failed(name, exc, ended=True)

        return asyncio.create_task(supervised(), name=f"simulator:{name}")

    def health(self) -> dict[str, Any]:
        return {name: entry.to_json() for name, entry in sorted(self.failed.items())}


async def stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait for it; what it raised was reported by its supervisor already."""
    if task is None:
        return
    task.cancel()
    await asyncio.wait({task})  # never raises what the task raised
    if not task.cancelled():
        task.exception()  # retrieved: asyncio must not log it again at exit
