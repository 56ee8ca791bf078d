"""One fault vocabulary: every name a timeline can use is registered once, in a file of its own
name, declares its layer and its parameters, and a bad name or parameter is refused when the
timeline is built, with the reason."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from harness.faults import REGISTRY, FaultError, fault_named, names
from harness.faults.base import SIMULATOR_PREFIX
from harness.run.timeline import Step, Timeline
from simulator.faults import REGISTRY as SIMULATOR_FAULTS


def test_each_fault_lives_in_a_file_of_its_name() -> None:
    for name, cls in REGISTRY.items():
        file = Path(inspect.getfile(cls)).stem
        assert file == ("simulator" if name == SIMULATOR_PREFIX else name), (name, file)
        assert cls.layer in ("network", "server")
        assert cls.describes


def test_names_cover_both_layers_and_the_simulators_own() -> None:
    listed = names()
    assert {"partition", "half_open", "server_close", "expire_tokens", "burst"} <= set(listed)
    assert {f"server:{n}" for n in SIMULATOR_FAULTS} <= set(listed)
    assert SIMULATOR_PREFIX not in listed


@pytest.mark.parametrize(
    ("name", "params", "error"),
    [
        ("earthquake", {}, "unknown fault 'earthquake': choose from bandwidth"),
        ("server:", {}, "unknown fault 'server:'"),
        ("server:earthquake", {}, "unknown simulator fault 'earthquake'"),
        ("latency", {"ms": "fast"}, "latency: ms has the wrong type"),
        ("latency", {"ms": -5}, "latency: ms must be 0 or more"),
        ("partition", {"heal": "sometimes"}, "heal must be 'hold'"),
        ("partition", {"duration": 3}, r"partition: unknown parameter\(s\) \['duration'\]"),
        ("server_close", {"allow_reconnect": "yes"}, "allow_reconnect has the wrong type"),
        ("burst", {"factor": 0}, "burst: factor must be above 0"),
        ("server:stop_pings", {"every": 1}, r"stop_pings: unknown parameter\(s\)"),
    ],
)
def test_a_bad_fault_is_refused_with_the_reason(name: str, params: dict[str, object], error: str) -> None:
    with pytest.raises(FaultError, match=error):
        fault_named(name, params)
    with pytest.raises(ValueError, match=error):  # and a timeline holding it is never built
        Timeline(1, [Step(0.5, name, "market", 1.0, params)])


def test_defaults_are_filled_in_as_the_fault_declares_them() -> None:
    assert fault_named("partition").params == {"heal": "hold"}
    assert fault_named("server_close", {"error": "bye"}).params == {"error": "bye", "allow_reconnect": True}
    assert fault_named("server:split_frames", {"size": 3}).params["size"] == 3


def test_the_simulator_knows_the_network_faults_by_name_to_say_where_they_are_made() -> None:
    from harness.faults import REGISTRY
    from simulator.faults.base import NETWORK_FAULTS

    assert set(NETWORK_FAULTS) == {name for name, fault in REGISTRY.items() if fault.layer == "network"}
