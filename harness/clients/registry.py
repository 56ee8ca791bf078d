"""The kinds of client the harness can put under test, by the name ``--client`` takes.

A kind knows how to start one client at a ``Site`` (the Gateway's REST URL, each hub's URL
through its proxy, the run's history and directory, the seed) and hand back its adapter; what the
simulator must allow for it (flags, and the fixed reconnect delay recovery bounds add); and, for
clients speaking the whole-client driver protocol, the command a soak runs under memray.

Adding a client kind is one entry in ``KINDS`` (with its venv in ``envs.py`` when it needs one);
``cmd:COMMAND`` is the one kind made from its name: your own driver, given the same flags.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from collections import abc
from dataclasses import asdict, dataclass, is_dataclass, replace
from pathlib import Path
from typing import Any

from client import GatewayTokens

from ..errors import HarnessError
from ..infra import gateway
from ..run.history import RunHistory
from .adapters import ClientAdapter, ReferenceAdapter
from .envs import DRIVERS, ClientEnv, ensure
from .process_adapters import COMMAND_TIMEOUT_S, BareSignalRAdapter, DriverAdapter
from .reference import client_config

MEMRAY = "memray==1.20.0"  # as pinned in pyproject.toml: a soak reads the window files it writes
# Clients whose keep-alive cannot be shortened (signalrcore pings after 10 s idle, pysignalr every
# 15 s) meet the server-side client timeout of ASP.NET's default, as against the real Gateway; the
# scaled 3 s would cut them off for being quiet, which is the server's doing, not theirs.
PATIENT_SERVER = ("--client-timeout", "30")


@dataclass(frozen=True, slots=True)
class Site:
    """Where a client under test runs, and what it records into."""

    base_url: str  # the Gateway's REST API (direct: faults are for the hubs)
    hub_urls: abc.Mapping[str, str]  # "user"/"market" -> the hub's URL through its proxy
    history: RunHistory
    directory: Path  # logs go here
    seed: int
    index: int = 0  # which client of the run (log names)

    def hub_flags(self) -> list[str]:
        return [
            "--base",
            self.base_url,
            "--user-hub",
            self.hub_urls["user"],
            "--market-hub",
            self.hub_urls["market"],
        ]


class ClientKind:
    name: str
    describes: str
    env: ClientEnv | None = None  # its own venv, if it runs in one
    simulator_flags: tuple[str, ...] = PATIENT_SERVER
    soaks = False  # speaks the whole-client protocol, so a soak can run it under memray

    @property
    def reconnect_allowance_s(self) -> float:
        """Added to recovery bounds and windows: see ``ClientEnv.reconnect_allowance_s``."""
        return self.env.reconnect_allowance_s if self.env is not None else 0.0

    async def adapter(self, site: Site, *, batching: bool = False, **config: Any) -> ClientAdapter:
        """The client, not yet started. ``batching`` turns on a client's optional batching path the
        way its docs say to; ``config`` tunes the reference client (``ClientConfig`` fields)."""
        raise NotImplementedError

    async def soak_command(self, site: Site) -> list[str]:
        """The whole-client driver command a soak runs, with memray importable."""
        raise HarnessError(f"{self.name} cannot be soaked: it does not speak the whole-client protocol")


class InProcessReference(ClientKind):
    name = "reference"
    describes = "this project's client (client/), in the harness's own process"
    simulator_flags = ()
    soaks = True

    async def adapter(self, site: Site, *, batching: bool = False, **config: Any) -> ClientAdapter:
        seed = config.pop("seed", site.seed)
        settings = client_config(
            site.base_url, site.hub_urls["user"], site.hub_urls["market"], seed, **config
        )
        tokens = GatewayTokens(site.base_url, gateway.USER, gateway.API_KEY)
        return ReferenceAdapter(settings, tokens, site.history)

    async def soak_command(self, site: Site) -> list[str]:
        driver = DRIVERS / "reference_client.py"
        return [sys.executable, str(driver), *site.hub_flags(), "--seed", str(site.seed)]


class ReferenceProcess(ClientKind):
    name = "reference-process"
    describes = "the same client behind the whole-client driver protocol (proof the protocol loses nothing)"
    simulator_flags = ()

    async def adapter(self, site: Site, *, batching: bool = False, **config: Any) -> ClientAdapter:
        seed = config.pop("seed", site.seed)
        changes = {
            k: asdict(v) if is_dataclass(v) and not isinstance(v, type) else v for k, v in config.items()
        }
        argv = [sys.executable, str(DRIVERS / "reference_client.py"), *site.hub_flags(), "--seed", str(seed)]
        log = site.directory / f"client-{site.index}.log"
        return DriverAdapter(self.name, [*argv, "--config", json.dumps(changes)], site.history, log)


@dataclass(frozen=True, slots=True)
class Command(ClientKind):
    """``cmd:COMMAND``: any driver of the whole-client protocol (``drivers/client_driver.py``), run
    with ``--base URL --user-hub URL --market-hub URL --seed N`` appended."""

    name: str
    describes = "your own client, behind the whole-client driver protocol"

    async def adapter(self, site: Site, *, batching: bool = False, **config: Any) -> ClientAdapter:
        seed = config.pop("seed", site.seed)
        argv = [*shlex.split(self.name.removeprefix("cmd:")), *site.hub_flags(), "--seed", str(seed)]
        return DriverAdapter(self.name, argv, site.history, site.directory / f"client-{site.index}.log")


@dataclass(frozen=True, slots=True)
class Sdk(ClientKind):
    """A ProjectX SDK in its own venv, driven through its public API by a whole-client driver
    (``drivers/<driver>``, given the hub flags)."""

    env: ClientEnv
    driver: str = "projectx_client.py"
    describes: str = "project-x-py, the real SDK, in its own venv"
    # One SDK call subscribes every stream of a contract (project-x-py): the adapter asks once.
    streams_per_contract: bool = False
    batching: bool = False  # its driver takes --batching (the SDK's optional batching path)
    command_timeout_s: float = COMMAND_TIMEOUT_S
    shutdown_s: float = 5.0  # per step of close: ask, then SIGTERM, then SIGKILL
    soaks: bool = True

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.env.name

    async def adapter(self, site: Site, *, batching: bool = False, **config: Any) -> ClientAdapter:
        python = await asyncio.to_thread(ensure, self.env)
        argv = [str(python), str(DRIVERS / self.driver), *site.hub_flags()]
        log = site.directory / f"{self.name}-{site.index}.log"
        argv += ["--batching"] if batching and self.batching else []
        return DriverAdapter(
            self.name,
            argv,
            site.history,
            log,
            streams_per_contract=self.streams_per_contract,
            command_timeout_s=self.command_timeout_s,
            shutdown_s=self.shutdown_s,
        )

    async def soak_command(self, site: Site) -> list[str]:
        env = replace(self.env, name=f"{self.env.name}-memray", requirements=(*self.env.requirements, MEMRAY))
        python = await asyncio.to_thread(ensure, env)
        return [str(python), str(DRIVERS / self.driver), *site.hub_flags()]


@dataclass(frozen=True, slots=True)
class BareLibrary(ClientKind):
    """A bare SignalR library (no ProjectX layer): one raw driver process per hub."""

    env: ClientEnv
    describes = "a bare SignalR library subscribing to both hubs"

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.env.name

    async def adapter(self, site: Site, *, batching: bool = False, **config: Any) -> ClientAdapter:
        python = await asyncio.to_thread(ensure, self.env)
        token = await gateway.login(site.base_url)
        urls = dict(site.hub_urls)
        return BareSignalRAdapter(
            self.env, python, urls, token, site.history, log_dir=site.directory, index=site.index
        )


KINDS: dict[str, ClientKind] = {
    kind.name: kind
    for kind in (
        InProcessReference(),
        ReferenceProcess(),
        # signalrcore 0.9.5: what 2025-era lockfiles of project-x-py 3.x hold (websocket-client transport).
        BareLibrary(
            ClientEnv(
                "signalrcore-0.9.5",
                ("signalrcore==0.9.5", "websocket-client==1.0.0", "msgpack==1.0.2", "requests==2.34.2"),
                "signalrcore_driver.py",
                reconnect_allowance_s=2.0,  # its keep-alive set to 1 s by the adapter
            )
        ),
        # signalrcore 1.0.2: the newest, what `pip install signalrcore` resolves to today.
        BareLibrary(
            ClientEnv(
                "signalrcore-1.0.2",
                ("signalrcore==1.0.2", "msgpack==1.1.2"),
                "signalrcore_driver.py",
                reconnect_allowance_s=2.0,
            )
        ),
        # project-x-py needs Python >= 3.12. 3.3.0 with the pins that make it run at all: signalrcore
        # 0.9.5 (1.0.2 hangs on disconnect) and polars 1.31.0 (newer ones cannot parse the Gateway's
        # "+00:00" bar timestamps in 3.3.0's code).
        Sdk(
            ClientEnv(
                "project-x-py-3.3.0",
                ("project-x-py==3.3.0", "signalrcore==0.9.5", "websocket-client==1.0.0", "polars==1.31.0"),
                "projectx_sdk_check.py",
                min_python=(3, 12),
                reconnect_allowance_s=12.0,  # keep-alive 10 s, checked every 1 s
            ),
            streams_per_contract=True,
            batching=True,
        ),
        # What `pip install project-x-py==3.3.0` resolves to today: signalrcore 1.0.2, whose disconnect
        # hangs until the peer closes the socket (the adapter's bounded shutdown has to kill it).
        Sdk(
            ClientEnv(
                "project-x-py-3.3.0-signalrcore-1.0.2",
                ("project-x-py==3.3.0", "signalrcore==1.0.2", "polars==1.31.0"),
                "projectx_sdk_check.py",
                min_python=(3, 12),
                reconnect_allowance_s=12.0,
            ),
            streams_per_contract=True,
            batching=True,
        ),
        # pysignalr reconnects at once after a close; after a refused attempt it waits a random
        # 0-5 s, then 3 s (its patched websockets loop). Above it, 4.x notices a hub task that died
        # (a Close with an error, a bad record) only at its next 10 s Heartbeat, then reconnects.
        Sdk(
            ClientEnv(
                "project-x-py-4.4.1",
                ("project-x-py==4.4.1",),
                "projectx_sdk_check.py",
                min_python=(3, 12),
                reconnect_allowance_s=12.0,
            ),
            streams_per_contract=True,
            batching=True,
        ),
        # topstep-sdk: its own SignalR client on websockets (no negotiate, the token in the URL). Its
        # first reconnect waits 1 s, then doubles after every drop that ended in an exception.
        Sdk(
            ClientEnv(
                "topstep-sdk-0.1.4",
                ("topstep-sdk==0.1.4", "httpx==0.28.1", "msgspec==0.23.0", "websockets==17.4"),
                "topstep_sdk_check.py",
                min_python=(3, 12),
                reconnect_allowance_s=2.0,
            ),
            driver="topstep_client.py",
            describes="topstep-sdk, a ProjectX SDK on PyPI, in its own venv",
            shutdown_s=12.0,  # stop() waits up to websockets' 10 s close_timeout for the close reply
        ),
        # projectx-sdk: signalrcore 0.9.2 on websocket-client 0.54.0, both pinned by the SDK itself. It
        # reconnects 5 s after a drop (x1.5 per failure); its start() waits up to 30 s.
        Sdk(
            ClientEnv(
                "projectx-sdk-0.2.39",
                (
                    "projectx-sdk==0.2.39",
                    "signalrcore==0.9.2",
                    "websocket-client==0.54.0",
                    "requests==2.34.2",
                    "pydantic==2.14.4",
                ),
                "projectxsdk_check.py",
                reconnect_allowance_s=6.0,
            ),
            driver="projectxsdk_client.py",
            describes="projectx-sdk, a ProjectX SDK on PyPI, in its own venv",
            command_timeout_s=35.0,
        ),
        BareLibrary(
            ClientEnv(
                "pysignalr-1.3.3",
                (
                    "pysignalr==1.3.3",
                    "websockets==17.4",
                    "aiohttp==3.14.5",
                    "msgpack==1.2.4",
                    "orjson==3.13.0",
                ),
                "pysignalr_driver.py",
                reconnect_allowance_s=8.0,
                token_in_url=True,
            )
        ),
    )
}
# The venvs the kinds above run in, by name (interop tests and benchmarks build them directly).
CLIENTS: dict[str, ClientEnv] = {kind.name: kind.env for kind in KINDS.values() if kind.env is not None}
SOAKABLE = tuple(name for name, kind in KINDS.items() if kind.soaks)


def client_kind(name: str) -> ClientKind:
    """The kind ``--client NAME`` means; ``HarnessError`` naming the choices for an unknown one."""
    if name.startswith("cmd:") and name.removeprefix("cmd:").strip():
        return Command(name)
    kind = KINDS.get(name)
    if kind is None:
        raise HarnessError(
            f"unknown client {name!r}: choose from {', '.join(KINDS)}, or cmd:COMMAND (your own driver)"
        )
    return kind


def client_argument(name: str) -> str:
    """``--client``'s argparse type: the name, once it names a kind (a usage error otherwise)."""
    try:
        client_kind(name)
    except HarnessError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name
