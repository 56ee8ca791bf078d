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

from .errors import SetupError

ROOT = Path(__file__).resolve().parent.parent
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


CLIENTS: dict[str, ClientEnv] = {
    env.name: env
    for env in (
        # signalrcore 0.9.5: what 2025-era lockfiles of project-x-py 3.x hold (websocket-client transport).
        ClientEnv(
            "signalrcore-0.9.5",
            ("signalrcore==0.9.5", "websocket-client==1.0.0", "msgpack==1.0.2", "requests==2.34.2"),
            "signalrcore_driver.py",
            reconnect_allowance_s=2.0,  # its keep-alive set to 1 s by the adapter
        ),
        # signalrcore 1.0.2: the newest, what `pip install signalrcore` resolves to today.
        ClientEnv(
            "signalrcore-1.0.2",
            ("signalrcore==1.0.2", "msgpack==1.1.2"),
            "signalrcore_driver.py",
            reconnect_allowance_s=2.0,
        ),
        # project-x-py needs Python >= 3.12. 3.3.0 with the pins that make it run at all: signalrcore
        # 0.9.5 (1.0.2 hangs on disconnect) and polars 1.31.0 (newer ones cannot parse the Gateway's
        # "+00:00" bar timestamps in 3.3.0's code).
        ClientEnv(
            "project-x-py-3.3.0",
            ("project-x-py==3.3.0", "signalrcore==0.9.5", "websocket-client==1.0.0", "polars==1.31.0"),
            "projectx_sdk_check.py",
            min_python=(3, 12),
            reconnect_allowance_s=12.0,  # keep-alive 10 s, checked every 1 s
        ),
        # What `pip install project-x-py==3.3.0` resolves to today: signalrcore 1.0.2, whose disconnect
        # hangs until the peer closes the socket (the adapter's bounded shutdown has to kill it).
        ClientEnv(
            "project-x-py-3.3.0-signalrcore-1.0.2",
            ("project-x-py==3.3.0", "signalrcore==1.0.2", "polars==1.31.0"),
            "projectx_sdk_check.py",
            min_python=(3, 12),
            reconnect_allowance_s=12.0,
        ),
        # pysignalr reconnects at once after a close; after a refused attempt it waits a random
        # 0-5 s, then 3 s (its patched websockets loop). Above it, 4.x notices a hub task that died
        # (a Close with an error, a bad record) only at its next 10 s Heartbeat, then reconnects.
        ClientEnv(
            "project-x-py-4.4.1",
            ("project-x-py==4.4.1",),
            "projectx_sdk_check.py",
            min_python=(3, 12),
            reconnect_allowance_s=12.0,
        ),
        ClientEnv(
            "pysignalr-1.3.3",
            ("pysignalr==1.3.3", "websockets==17.4", "aiohttp==3.14.5", "msgpack==1.2.4", "orjson==3.13.0"),
            "pysignalr_driver.py",
            reconnect_allowance_s=8.0,
        ),
    )
}


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


# What ``pytest scenarios -m chaos --client NAME`` accepts: the reference client in-process, the
# same client behind the whole-client driver protocol (proof the protocol loses nothing), and every
# client above (``harness/process_adapters.py``).
CLIENTS_UNDER_TEST = ("reference", "reference-process", *CLIENTS)
