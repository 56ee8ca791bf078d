"""signalrcore 0.9.5, signalrcore 1.0.2 and pysignalr 1.3.3 against the simulator: they connect,
invoke, receive server invocations, see error completions, survive a server Close and reconnect,
and speak MessagePack where they can. What each client does differently is asserted, not hidden.
"""

from __future__ import annotations

import itertools
from collections import abc

import pytest

from harness.clients.driver_process import DriverProcess
from harness.clients.registry import CLIENTS
from simulator import SimulatorServer

from ..polling import until
from .conftest import ClientCase

pytestmark = pytest.mark.interop

SIGNALRCORE_OLD, SIGNALRCORE_NEW, PYSIGNALR = (
    CLIENTS["signalrcore-0.9.5"],
    CLIENTS["signalrcore-1.0.2"],
    CLIENTS["pysignalr-1.3.3"],
)
CASES = [
    ClientCase(SIGNALRCORE_OLD),
    ClientCase(SIGNALRCORE_NEW),
    ClientCase(PYSIGNALR),
    ClientCase(SIGNALRCORE_NEW, "messagepack"),
    ClientCase(PYSIGNALR, "messagepack"),
]
_refs = itertools.count(1)


async def invoke(driver: DriverProcess, target: str, args: list[object]) -> dict[str, object]:
    ref = f"r{next(_refs)}"
    await driver.command("invoke", target=target, args=args, ref=ref)
    return await driver.wait_for(
        lambda e: e.get("ref") == ref and e["event"] in ("completion", "error"), 10, f"completion of {target}"
    )


async def open_client(driver: DriverProcess, sim: SimulatorServer) -> None:
    await driver.start()
    await driver.command("on", target="Tick")
    await driver.command("start")
    await driver.wait_for(lambda e: e["event"] == "open", 15, "open")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_connects_invokes_and_receives_server_invocations(
    case: ClientCase, sim: SimulatorServer, make_driver: abc.Callable[[ClientCase], DriverProcess]
) -> None:
    async with make_driver(case) as driver:
        await driver.command("on", target="Tick")
        await driver.command("start")
        await driver.wait_for(lambda e: e["event"] == "open", 15, "open")
        assert (await invoke(driver, "Add", [40, 2]))["result"] == 42
        assert (await invoke(driver, "Subscribe", []))["result"] is True
        ticks = [
            await driver.wait_for(lambda e, n=n: len(driver.of("invocation")) > n, 10, f"tick {n}")
            for n in range(3)
        ]
        assert ticks
        seqs = [e["args"][0]["seq"] for e in driver.of("invocation")]
        assert seqs == sorted(seqs)
        assert len(seqs) >= 3
    assert driver.shutdown in ("exited", "terminated", "killed")
    [record] = sim.records.values()
    assert record.handshake["protocol"] == case.protocol  # type: ignore[index]
    # signalrcore 1.0.x, choosing the protocol itself, passes the negotiate version (0) as the hub
    # protocol version; given a protocol object (our MessagePack case) it sends that object's 1.
    chose_itself = case.env is SIGNALRCORE_NEW and case.protocol == "json"
    assert record.handshake["version"] == (0 if chose_itself else 1)  # type: ignore[index]
    assert record.negotiate is not None  # every one of these clients negotiates...
    assert "negotiateVersion" not in record.negotiate.target  # ...without asking for v1


@pytest.mark.parametrize("case", CASES[:3], ids=lambda c: c.id)
async def test_error_completions_reach_the_client(
    case: ClientCase, sim: SimulatorServer, make_driver: abc.Callable[[ClientCase], DriverProcess]
) -> None:
    async with make_driver(case) as driver:
        await open_client(driver, sim)
        ref = f"r{next(_refs)}"
        await driver.command("invoke", target="Fail", args=["boom"], ref=ref)
        event = await driver.wait_for(
            lambda e: e.get("ref") == ref and bool(e.get("error") or e.get("message")), 10, "error completion"
        )
        assert "HubException: boom" in str(event.get("error") or event.get("message"))


async def reconnected(sim: SimulatorServer, first_id: str) -> None:
    """Server-side evidence: a new connection finished its handshake (clients differ in callbacks)."""
    await until(
        lambda: any(cid != first_id and s.is_open for cid, s in sim.sessions.items()),
        20,
        "reconnected session",
    )


@pytest.mark.parametrize(
    ("case", "reconnects_by_itself", "reports_open_again"),
    [
        (ClientCase(SIGNALRCORE_OLD, reconnect=True), False, True),  # 0.9.5 stop()s on any Close
        (ClientCase(SIGNALRCORE_NEW, reconnect=True), True, False),  # on_reconnect, never on_open again
        (ClientCase(PYSIGNALR), True, True),  # stale id -> 404 -> renegotiate
    ],
    ids=lambda v: v.id if isinstance(v, ClientCase) else str(v),
)
async def test_survives_a_server_close_and_reconnects(
    case: ClientCase,
    reconnects_by_itself: bool,
    reports_open_again: bool,
    sim: SimulatorServer,
    make_driver: abc.Callable[[ClientCase], DriverProcess],
) -> None:
    async with make_driver(case) as driver:
        await open_client(driver, sim)
        [(first_id, first)] = sim.sessions.items()
        mark = len(driver.events)
        first.close(allow_reconnect=True)
        if not reconnects_by_itself:
            await driver.command("start")  # what its user has to do
        await reconnected(sim, first_id)
        assert (await invoke(driver, "Echo", ["after"]))["result"] == "after"
        assert bool(driver.of("open", since=mark)) == reports_open_again


@pytest.mark.parametrize(
    "case",
    [ClientCase(SIGNALRCORE_NEW, reconnect=True), ClientCase(PYSIGNALR)],
    ids=lambda c: c.id,
)
async def test_survives_an_abrupt_drop_and_reconnects(
    case: ClientCase, sim: SimulatorServer, make_driver: abc.Callable[[ClientCase], DriverProcess]
) -> None:
    async with make_driver(case) as driver:
        await open_client(driver, sim)
        [(first_id, first)] = sim.sessions.items()
        first.abort(reset=True)
        await reconnected(sim, first_id)
        assert (await invoke(driver, "Echo", [1]))["result"] == 1
