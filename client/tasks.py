"""Task ownership (R16): every task the client starts belongs to a ``TaskSet`` that cancels and
awaits it on shutdown. Nothing is fire-and-forget, and the count of live tasks is observable."""

from __future__ import annotations

import asyncio
import logging
from collections import abc
from typing import Any

log = logging.getLogger(__name__)


class TaskSet:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: abc.Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"{self.owner}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("task %s failed", task.get_name(), exc_info=exc)

    def __len__(self) -> int:
        return len(self._tasks)

    async def cancel_all(self, timeout_s: float = 5.0) -> None:
        """Cancel every task and wait (at most ``timeout_s``) for them to finish."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)


async def stop_task(task: asyncio.Task[Any] | None, timeout_s: float = 5.0) -> None:
    """Cancel ``task`` and wait for it without swallowing this coroutine's own cancellation."""
    if task is not None and not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=timeout_s)
