"""Run a client driver (``harness/clients/drivers``) as a process and talk to it in JSON lines.

The driver's stdout events are collected with the time they arrived; ``wait_for`` waits
(bounded) for an event that matches. ``close`` asks the driver to exit, then SIGTERMs and finally
SIGKILLs its process group: a client that hangs on disconnect (signalrcore 1.0.x does) is still
reaped, and ``shutdown`` says how it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import tempfile
from collections import abc
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import ProcessError
from ..infra.processes import log_tail
from .envs import ClientEnv

Event = dict[str, Any]


def signalr_driver(
    env: ClientEnv,
    python: Path,
    url: str,
    *,
    protocol: str = "json",
    reconnect: bool = False,
    keep_alive_s: float | None = None,
    token: str | None = None,
    log_path: Path | None = None,
) -> DriverProcess:
    """A bare SignalR client driver (``harness/clients/drivers/*_driver.py``) connected to one hub URL."""
    argv = [str(python), str(env.driver_path), "--url", url, "--protocol", protocol]
    if reconnect:
        argv.append("--reconnect")
    if keep_alive_s is not None:
        argv += ["--keep-alive", str(keep_alive_s)]
    if token is not None:
        argv += ["--token", token]
    return DriverProcess(env.name, argv, log_path=log_path)


class DriverProcess:
    def __init__(
        self,
        name: str,
        argv: abc.Sequence[str],
        *,
        log_path: Path | None = None,
        on_event: abc.Callable[[Event], None] | None = None,
        keep: abc.Callable[[Event], bool] | None = None,
        env: abc.Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.on_event = on_event  # called for each event as it arrives (adapters record them)
        # Which events ``events`` keeps (default all); a soak drops its periodic ones, which
        # ``on_event`` has seen, so hours of metrics do not pile up here.
        self.keep = keep
        self.argv = list(argv)
        self.env = {**os.environ, **env} if env else None  # added to the harness's own
        self._owns_log = log_path is None  # a log nobody asked for is deleted by close()
        self.log_path = log_path or Path(tempfile.mkstemp(prefix=f"faultline-{name}-", suffix=".log")[1])
        self.events: list[Event] = []
        self.shutdown: str | None = None  # "exited", "terminated" or "killed"
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()

    async def start(self, within_s: float = 30.0) -> None:
        with self.log_path.open("wb") as log:
            self._proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                start_new_session=True,
                env=self.env,
            )
        self._reader = asyncio.create_task(self._read())
        await self.wait_for(lambda e: e["event"] == "ready", within_s, "driver ready")

    async def _read(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            if not isinstance(event, dict) or not isinstance(event.get("event"), str):
                # not the protocol: a client printing to stdout, say; kept, never fatal
                event = {"event": "garbage", "line": line.decode(errors="replace")}
            if self.keep is None or self.keep(event):
                self.events.append(event)
                self._arrived.set()
            if self.on_event is not None:
                self.on_event(event)
        self.events.append({"event": "driver_exited"})
        self._arrived.set()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def pid(self) -> int | None:
        """The driver's process id once started (what a soak samples the memory of)."""
        return self._proc.pid if self._proc is not None else None

    async def command(self, cmd: str, **fields: Any) -> None:
        if self._proc is None or self._proc.stdin is None or self._proc.returncode is not None:
            raise ProcessError(f"{self.name} driver is not running:\n{log_tail(self.log_path)}")
        self._proc.stdin.write((json.dumps({"cmd": cmd, **fields}) + "\n").encode())
        await self._proc.stdin.drain()

    async def wait_for(
        self, predicate: abc.Callable[[Event], bool], within_s: float, what: str, *, since: int = 0
    ) -> Event:
        """The first event from index ``since`` on that matches; ``ProcessError`` after ``within_s``."""
        checked = since  # each event is looked at once, however many arrive while waiting
        try:
            async with asyncio.timeout(within_s):
                while True:
                    for event in self.events[checked:]:
                        if predicate(event):
                            return event
                    checked = len(self.events)
                    if self.events and self.events[-1]["event"] == "driver_exited":
                        break
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            pass
        raise ProcessError(
            f"{self.name}: no {what} within {within_s} s; events: {self.events[since:][-12:]}\n"
            f"log:\n{log_tail(self.log_path)}"
        )

    def of(self, kind: str, since: int = 0) -> list[Event]:
        return [e for e in self.events[since:] if e["event"] == kind]

    async def close(self, within_s: float = 5.0) -> str:
        """Ask the driver to exit; SIGTERM, then SIGKILL, its process group if it does not."""
        proc = self._proc
        if proc is None or self.shutdown is not None:
            return self.shutdown or "not started"
        if proc.returncode is None:
            with contextlib.suppress(ProcessError, ConnectionError):
                await self.command("exit")
        self.shutdown = await self._wait_or(proc, within_s, None, "exited")
        if self.shutdown != "exited":
            self.shutdown = await self._wait_or(proc, within_s, signal.SIGTERM, "terminated")
        if self.shutdown not in ("exited", "terminated"):
            self.shutdown = await self._wait_or(proc, within_s, signal.SIGKILL, "killed")
        self._kill_group(proc, signal.SIGKILL)  # anything the driver left behind
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._owns_log:
            self.log_path.unlink(missing_ok=True)
        return self.shutdown

    async def _wait_or(
        self, proc: asyncio.subprocess.Process, within_s: float, sig: signal.Signals | None, label: str
    ) -> str:
        if sig is not None:
            self._kill_group(proc, sig)
        try:
            async with asyncio.timeout(within_s):
                await proc.wait()
        except TimeoutError:
            return "running"
        return label

    @staticmethod
    def _kill_group(proc: asyncio.subprocess.Process, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    async def __aenter__(self) -> DriverProcess:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
