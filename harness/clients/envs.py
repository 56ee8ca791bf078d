"""Venvs for the third-party clients the harness drives, created on demand and cached.

Each client runs in its own venv under ``.venvs/<name>`` with pinned packages (two signalrcore
versions cannot share one). A venv is rebuilt only when its pins change (a stamp file holds their
hash) and creation is serialised with a file lock, so parallel runs do not race. Installing needs
the package registry once; after that everything is local.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections import abc
from dataclasses import dataclass
from pathlib import Path

from ..errors import SetupError

ROOT = Path(__file__).resolve().parents[2]
VENVS = Path(os.environ.get("FAULTLINE_VENVS", ROOT / ".venvs"))
DRIVERS = Path(__file__).resolve().parent / "drivers"
PIP_TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class ClientEnv:
    name: str
    requirements: tuple[str, ...]
    driver: str
    min_python: tuple[int, int] = (3, 11)
    # How long, by its own fixed settings, the client may wait before it even tries to reconnect
    # (signalrcore starts only when its next keep-alive ping fails: up to 11 s after a drop under
    # project-x-py's 10 s keep-alive). Scenarios add it to their recovery bounds and windows, so a
    # recovery verdict judges *whether* the client recovers, not its fixed timers; how soon it
    # starts is judged by scenarios of its own (R4). The reference client's timers are scaled: 0.
    reconnect_allowance_s: float = 0.0
    # The access token in the hub URL (``?access_token=``) rather than from a factory: pysignalr does
    # not call its factory for the first negotiate (the Gateway answers 401), so its users do this.
    token_in_url: bool = False

    @property
    def path(self) -> Path:
        return VENVS / self.name

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def driver_path(self) -> Path:
        return DRIVERS / self.driver

    @property
    def stamp(self) -> str:
        return hashlib.sha256("\n".join((*self.requirements, str(self.min_python))).encode()).hexdigest()


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0]), int(out[1])


def find_python(minimum: tuple[int, int]) -> str:
    """An interpreter at least ``minimum``: FAULTLINE_CLIENT_PYTHON, this one, PATH, then pyenv."""
    candidates: list[str] = []
    if configured := os.environ.get("FAULTLINE_CLIENT_PYTHON"):
        candidates.append(configured)
    candidates.append(sys.executable)
    for minor in range(20, minimum[1] - 1, -1):
        if found := shutil.which(f"python{minimum[0]}.{minor}"):
            candidates.append(found)
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates.extend(str(p) for p in sorted(pyenv.glob(f"{minimum[0]}.*/bin/python3"), reverse=True))
    for candidate in candidates:
        version = _version_of(candidate)
        if version is not None and version >= minimum:
            return candidate
    wanted = ".".join(map(str, minimum))
    raise SetupError(
        f"no Python >= {wanted} found: install one (e.g. pyenv install {wanted}) "
        f"or set FAULTLINE_CLIENT_PYTHON=/path/to/python{wanted}"
    )


def ensure(env: ClientEnv) -> Path:
    """The venv's interpreter, creating or rebuilding the venv first if its pins changed."""
    VENVS.mkdir(parents=True, exist_ok=True)
    with (VENVS / f".{env.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp_file = env.path / ".faultline-stamp"
        if env.python.exists() and stamp_file.exists() and stamp_file.read_text() == env.stamp:
            return env.python
        shutil.rmtree(env.path, ignore_errors=True)
        python = find_python(env.min_python)
        _run([python, "-m", "venv", str(env.path)], f"create the {env.name} venv")
        _run(
            [
                str(env.python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *env.requirements,
            ],
            f"install {' '.join(env.requirements)} into {env.path}",
        )
        stamp_file.write_text(env.stamp)
        return env.python


def _run(argv: abc.Sequence[str], what: str) -> None:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise SetupError(
            f"could not {what}: no answer within {PIP_TIMEOUT_S} s (is the package registry reachable?)"
        ) from None
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).splitlines()[-15:])
        raise SetupError(f"could not {what} (exit {result.returncode}):\n{tail}")
