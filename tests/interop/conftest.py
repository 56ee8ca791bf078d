"""Real third-party SignalR clients from PyPI, each in its own venv, against the in-process simulator."""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.clients.driver_process import DriverProcess, signalr_driver
from harness.clients.envs import ClientEnv, ensure
from harness.clients.registry import CLIENTS
from simulator import DemoHub, ServerConfig, SimulatorServer

# Timers short enough for fast tests, long enough for signalrcore, which only pings when it was
# built with automatic reconnect.
INTEROP = ServerConfig(keep_alive_interval_s=1.0, client_timeout_s=20.0, handshake_timeout_s=5.0)


@dataclass(frozen=True)
class ClientCase:
    env: ClientEnv
    protocol: str = "json"
    reconnect: bool = False

    @property
    def id(self) -> str:
        return f"{self.env.name}-{self.protocol}" + ("-autoreconnect" if self.reconnect else "")


@pytest.fixture(scope="session")
def client_pythons() -> dict[str, Path]:
    """Every client venv, built once (needs the package registry the first time only)."""
    return {name: ensure(env) for name, env in CLIENTS.items()}


@pytest.fixture
async def sim() -> abc.AsyncIterator[SimulatorServer]:
    async with SimulatorServer(INTEROP, [DemoHub(rate_per_s=20.0)]) as server:
        yield server


@pytest.fixture
def make_driver(
    client_pythons: dict[str, Path], sim: SimulatorServer, tmp_path: Path
) -> abc.Callable[[ClientCase], DriverProcess]:
    def make(case: ClientCase) -> DriverProcess:
        return signalr_driver(
            case.env,
            client_pythons[case.env.name],
            f"{sim.url}/hubs/demo",
            protocol=case.protocol,
            reconnect=case.reconnect,
            keep_alive_s=1.0,
            log_path=tmp_path / f"{case.id}.log",
        )

    return make
