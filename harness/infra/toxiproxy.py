"""The real Toxiproxy: its server process and a thin async client of its HTTP API.

Why not ``toxiproxy-python`` (0.1.1, 2019): it has no toxic update, no timeouts, global host state,
maps only 400/404/409 (a 500 becomes ``KeyError``) and its ``populate`` recreates proxies
(``../shared/reference/toxiproxy.md`` §2). This client is the part of it the harness needs, with
every call bounded by ``timeout_s`` and every error raised with the server's message.

Toxiproxy's own randomness cannot be seeded (its ``-seed`` flag does nothing since 2.9.0), so this
client refuses toxicity other than 0 or 1, latency jitter and slicer size variation: every random
value comes from the harness's seeded RNG instead. Every call is journalled (``journal``) for the
run's fault log.

Which server: ``TOXIPROXY_URL`` (a running one, e.g. from docker compose), else a process started
here from ``TOXIPROXY_BIN``, ``toxiproxy-server`` on PATH, or ``.tools/bin/toxiproxy-server`` (what
``make setup`` builds), on a free 127.0.0.1 port.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiohttp

from ..errors import HarnessError, ProcessError, SetupError
from .processes import ManagedProcess

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)
LOCAL_BINARY = ROOT / ".tools" / "bin" / "toxiproxy-server"
VERSION = "2.12.0"
FLUSH_DEADLINE_S = 5.0  # link.go: data held by a removed toxic is flushed with this write deadline


class ToxiproxyError(HarnessError):
    """The Toxiproxy API refused a call; ``status`` and the server's ``message``."""

    def __init__(self, status: int, message: str, call: str) -> None:
        super().__init__(f"toxiproxy {call}: HTTP {status}: {message}")
        self.status = status
        self.message = message


class ToxiproxyHung(ToxiproxyError):
    """No answer in time, or its 25 s handler guard answered 503: restart the server."""


def find_binary() -> Path:
    configured = os.environ.get("TOXIPROXY_BIN")
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise SetupError(f"TOXIPROXY_BIN={configured} is not an executable file")
        return path
    on_path = shutil.which("toxiproxy-server")
    if on_path:
        return Path(on_path)
    if LOCAL_BINARY.is_file():
        return LOCAL_BINARY
    raise SetupError(
        "toxiproxy-server not found: run `make setup` (builds it with Go), set TOXIPROXY_BIN=/path/to/"
        "toxiproxy-server, or TOXIPROXY_URL=http://host:8474 for a running one"
    )


def _answers(url: str, timeout_s: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ToxiproxyServer:
    """A ``toxiproxy-server`` on 127.0.0.1, started and always stopped (a context manager).

    With ``TOXIPROXY_URL`` set nothing is started and ``url`` is that."""

    def __init__(self, log_path: Path | None = None, ready_timeout_s: float = 10.0) -> None:
        self.log_path = log_path
        self.ready_timeout_s = ready_timeout_s
        self.process: ManagedProcess | None = None
        self.url = os.environ.get("TOXIPROXY_URL", "").rstrip("/")
        self.restarts = 0  # how many times ``revive`` found it hung

    def start(self) -> Self:
        if self.url:
            self._wait_ready(self.url)
            return self
        for attempt in range(3):  # a free port can be taken between the probe and the bind
            try:
                self._launch(_free_port())
            except (ProcessError, ToxiproxyHung):
                if attempt == 2:
                    raise
                continue
            return self
        raise AssertionError("unreachable")

    def _launch(self, port: int) -> None:
        self.process = ManagedProcess(
            [str(find_binary()), "-host", "127.0.0.1", "-port", str(port)],
            ready_pattern="Starting Toxiproxy HTTP server",
            name="toxiproxy",
            log_path=self.log_path,
            env={**os.environ, "LOG_LEVEL": "info"},
            ready_timeout_s=self.ready_timeout_s,
            stop_timeout_s=5.0,
        )
        try:
            self.process.start()
            self._wait_ready(f"http://127.0.0.1:{port}")
        except (ProcessError, ToxiproxyHung):
            self.process.stop()
            self.process = None
            raise
        self.url = f"http://127.0.0.1:{port}"

    def revive(self, probe_s: float = 3.0) -> bool:
        """Restart the server if its API does not answer within ``probe_s``; True if it was.

        Toxiproxy can hang for good removing a toxic (``reference/toxiproxy.md`` 1.5, #558), and
        then every later call hangs too: a run that hit it must not poison the runs after it. The
        new server listens on the same port when it can (URLs already handed out stay right), else
        on a new one: read ``url`` again after this."""
        if _answers(f"{self.url}/proxies", probe_s):
            return False
        if self.process is None:
            raise ToxiproxyHung(
                0,
                f"{self.url} does not answer, and it was not started here (TOXIPROXY_URL): restart it",
                "revive",
            )
        port = int(self.url.rsplit(":", 1)[1])
        log.warning("toxiproxy at %s does not answer: restarting it", self.url)
        self.process.stop()
        self.restarts += 1
        if self.log_path is not None and self.log_path.exists():  # kept: what it was doing when it hung
            self.log_path.rename(self.log_path.with_suffix(f".hung-{self.restarts}.log"))
        try:
            self._launch(port)
        except (ProcessError, ToxiproxyHung):  # the port was taken meanwhile
            self.url = ""
            self.start()
        return True

    def _wait_ready(self, url: str) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        while not _answers(f"{url}/version", 1.0):
            if time.monotonic() > deadline:
                raise ToxiproxyHung(
                    0, f"no answer from {url}/version within {self.ready_timeout_s} s", "start"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
            if not os.environ.get("TOXIPROXY_URL"):
                self.url = ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True, slots=True)
class Proxy:
    name: str
    listen: str  # host:port, the real port when 0 was asked
    upstream: str

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    def url(self, path: str = "") -> str:
        return f"http://{self.listen}{path}"


@dataclass(slots=True)
class Call:
    t: float  # wall clock
    method: str
    path: str
    body: Any
    status: int


class Toxiproxy:
    """The HTTP API, one aiohttp session, every call bounded by ``timeout_s``."""

    def __init__(self, url: str, timeout_s: float = 5.0, clock: abc.Callable[[], float] = time.time) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.clock = clock
        self.journal: list[Call] = []
        self._http: aiohttp.ClientSession | None = None

    async def _call(self, method: str, path: str, body: Any = None, *, removes: bool = False) -> Any:
        """One API call. ``removes``: it takes toxics away, and Toxiproxy first flushes the data a
        toxic held, with a 5 s write deadline per connection: such calls get 5 s more."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        call = f"{method} {path}"
        limit = self.timeout_s + (FLUSH_DEADLINE_S if removes else 0.0)
        try:
            async with self._http.request(
                method, f"{self.url}{path}", json=body, timeout=aiohttp.ClientTimeout(total=limit)
            ) as response:
                text = await response.text()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ToxiproxyHung(0, f"no answer within {limit} s ({exc or type(exc).__name__})", call) from exc
        self.journal.append(Call(self.clock(), method, path, body, status))
        if status == 503:
            raise ToxiproxyHung(status, text.strip() or "handler timed out", call)
        if status >= 400:
            raise ToxiproxyError(status, _error_message(text), call)
        return _json_or_none(text)

    async def version(self) -> str:
        return str((await self._call("GET", "/version"))["version"])

    async def reset(self) -> None:
        """Every toxic removed and every proxy enabled (a ``timeout`` toxic's removal closes its
        connections)."""
        await self._call("POST", "/reset", removes=True)

    async def create_proxy(self, name: str, upstream: str, listen: str = "127.0.0.1:0") -> Proxy:
        body = await self._call("POST", "/proxies", {"name": name, "upstream": upstream, "listen": listen})
        return Proxy(body["name"], body["listen"], body["upstream"])

    async def delete_proxy(self, name: str) -> None:
        await self._call("DELETE", f"/proxies/{name}", removes=True)

    async def proxies(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/proxies")
        return result

    async def set_enabled(self, name: str, enabled: bool) -> None:
        """``enabled=false`` closes the listener *and every connection* (FIN): a crash, not a
        partition."""
        await self._call("PATCH", f"/proxies/{name}", {"enabled": enabled})

    async def add_toxic(
        self,
        proxy: str,
        type_: str,
        stream: str,
        attributes: dict[str, Any],
        *,
        name: str | None = None,
        toxicity: float = 1.0,
    ) -> str:
        _deterministic(attributes, toxicity)
        if stream not in ("upstream", "downstream"):
            raise ValueError(f"stream must be upstream (client->server) or downstream, not {stream!r}")
        body = {"type": type_, "stream": stream, "toxicity": toxicity, "attributes": attributes}
        if name is not None:
            body["name"] = name
        created = await self._call("POST", f"/proxies/{proxy}/toxics", body)
        return str(created["name"])

    async def update_toxic(self, proxy: str, name: str, attributes: dict[str, Any]) -> None:
        _deterministic(attributes, 1.0)
        await self._call("PATCH", f"/proxies/{proxy}/toxics/{name}", {"attributes": attributes})

    async def remove_toxic(self, proxy: str, name: str) -> None:
        await self._call("DELETE", f"/proxies/{proxy}/toxics/{name}", removes=True)

    async def toxics(self, proxy: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", f"/proxies/{proxy}/toxics")
        return result

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None


def _deterministic(attributes: dict[str, Any], toxicity: float) -> None:
    if toxicity not in (0.0, 1.0):
        raise ValueError("toxicity must be 0 or 1: Toxiproxy's randomness cannot be seeded")
    for key in ("jitter", "size_variation"):
        if attributes.get(key, 0) != 0:
            raise ValueError(f"{key} must be 0: draw random values from the harness seed instead")


def _error_message(text: str) -> str:
    body = _json_or_none(text)
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    return text.strip() or "(empty body)"


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None
