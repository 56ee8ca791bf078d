"""``server:<name>``: any of the simulator's own faults (``simulator/faults/``, one file each:
stop_pings, reject_handshake, negotiate_status, slow_negotiate, slow_upgrade, split_frames,
duplicate_messages, malformed_message, hub_down, ...), injected for the step's hub through the
control API and cleared after the step's duration.

The faults stay defined in the simulator, where they act; here they are named in the same
vocabulary, and their parameters are checked by the simulator's own class before a run starts.
"""

from __future__ import annotations

from typing import Any

from simulator.faults import REGISTRY as SIMULATOR_FAULTS

from .base import SIMULATOR_PREFIX, Fault, FaultError, FaultTarget


class SimulatorFault(Fault):
    name = SIMULATOR_PREFIX
    layer = "server"
    describes = "one of the simulator's own faults, for the hub"

    def __init__(self, fault: str, **params: Any) -> None:
        cls = SIMULATOR_FAULTS.get(fault)
        if cls is None:
            raise FaultError(f"unknown simulator fault {fault!r}: choose from {sorted(SIMULATOR_FAULTS)}")
        self.fault = fault
        self.params = cls(**params).params  # the simulator's own check, defaults filled in
        self._ids: dict[str, int] = {}

    async def apply(self, target: FaultTarget, hub: str) -> None:
        async with target.control() as control:
            self._ids[hub] = await control.add_fault(self.fault, self.params, hub=hub)

    async def clear(self, target: FaultTarget, hub: str) -> None:
        fault_id = self._ids.pop(hub, None)
        if fault_id is not None:
            async with target.control() as control:
                await control.clear_fault(fault_id)
