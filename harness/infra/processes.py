"""Processes the harness starts: readiness from an output line, and a stop that always happens.

A ``ManagedProcess`` runs in its own session (process group) with stdout and stderr in one log
file, and (on Linux) gets SIGTERM if the harness process dies without stopping it. ``start``
returns once a line matches the readiness pattern, or raises ``ProcessError`` with the log's tail
if the process exits or the deadline passes first. ``stop`` sends SIGTERM to the group, waits,
then SIGKILLs it; it is idempotent and runs from ``__exit__`` even when the body raised, so
nothing outlives a failing test.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import abc
from pathlib import Path
from types import TracebackType
from typing import Self

from simulator.config import CONTROL_TOKEN_ENV, CONTROL_TOKEN_HEADER

from ..errors import ProcessError

POLL_S = 0.02


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _dies_with_parent(argv: list[str]) -> list[str]:
    """On Linux, run ``argv`` under ``setpriv --pdeathsig TERM``: if the harness itself is killed
    (SIGKILL, a CI timeout) before it can stop what it started, the kernel sends SIGTERM to the
    child, so nothing is orphaned. Elsewhere, or without util-linux's setpriv, unchanged."""
    setpriv = shutil.which("setpriv") if sys.platform == "linux" else None
    return [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else argv


class ManagedProcess:
    def __init__(
        self,
        argv: abc.Sequence[str],
        *,
        ready_pattern: str,
        name: str | None = None,
        log_path: Path | None = None,
        env: abc.Mapping[str, str] | None = None,
        cwd: Path | None = None,
        ready_timeout_s: float = 20.0,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self.name = name or Path(argv[0]).name
        self.argv = _dies_with_parent(list(argv))
        self.ready_pattern = re.compile(ready_pattern, re.MULTILINE)
        # A log the caller did not ask for is ours: stop() deletes it (errors quote its tail first).
        self._owns_log = log_path is None
        self.log_path = log_path or Path(tempfile.mkstemp(prefix=f"faultline-{self.name}-", suffix=".log")[1])
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.ready_timeout_s = ready_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_match: re.Match[str] | None = None
        self.exit_code: int | None = None
        self.killed = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> re.Match[str]:
        """Start and wait for the readiness line; the match (with its groups) is returned."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            match = self.ready_pattern.search(self.log_path.read_text(errors="replace"))
            if match:
                self.ready_match = match
                return match
            if self.proc.poll() is not None:
                code = self.proc.returncode
                message = f"{self.name} exited with {code} before it was ready:\n{log_tail(self.log_path)}"
                self.stop()
                raise ProcessError(message)
            time.sleep(POLL_S)
        message = f"{self.name} was not ready within {self.ready_timeout_s} s:\n{log_tail(self.log_path)}"
        self.stop()
        raise ProcessError(message)

    def stop(self) -> int | None:
        """SIGTERM the process group, wait ``stop_timeout_s``, then SIGKILL. Returns the exit code."""
        proc = self.proc
        if proc is None or self.exit_code is not None:
            return self.exit_code
        if proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                self.killed = True
                self._signal_group(signal.SIGKILL)
                proc.wait(5.0)
        else:
            self._signal_group(signal.SIGKILL)  # the leader is gone; reap anything it left behind
        self.exit_code = proc.returncode
        if self._owns_log:
            self.log_path.unlink(missing_ok=True)
        return self.exit_code

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


_CONTROL_TOKENS: dict[str, str] = {}  # the URL of each simulator the harness runs -> its token


def control_headers(url: str) -> dict[str, str]:
    """What a request to ``url`` (under a simulator's URL) carries to be let into its control API:
    the token of the simulator the harness started there, else ``$FAULTLINE_CONTROL_TOKEN`` (a
    simulator someone else started), else nothing."""
    token = next((t for base, t in _CONTROL_TOKENS.items() if url.startswith(base)), None)
    token = token or os.environ.get(CONTROL_TOKEN_ENV)
    return {CONTROL_TOKEN_HEADER: token} if token else {}


class SimulatorProcess(ManagedProcess):
    """``python -m simulator`` on a free port; ``url`` once started. Its control API needs a token
    of its own (in its environment, not on its command line), which ``control_headers(url)`` gives."""

    def __init__(self, *flags: str, python: str = sys.executable, **kwargs: object) -> None:
        argv = [python, "-m", "simulator", "--host", "127.0.0.1", "--port", "0", *flags]
        self.control_token = secrets.token_urlsafe(24)
        env = dict(kwargs.pop("env", None) or os.environ)  # type: ignore[call-overload]
        env[CONTROL_TOKEN_ENV] = self.control_token
        super().__init__(
            argv,
            ready_pattern=r"^listening on (http://\S+)$",
            name="simulator",
            env=env,
            **kwargs,  # type: ignore[arg-type]
        )

    def start(self) -> re.Match[str]:
        match = super().start()
        _CONTROL_TOKENS[self.url] = self.control_token
        return match

    def stop(self) -> int | None:
        if self.ready_match is not None:
            _CONTROL_TOKENS.pop(self.url, None)
        return super().stop()

    @property
    def url(self) -> str:
        if self.ready_match is None:
            raise ProcessError("the simulator has not been started")
        return self.ready_match.group(1)
