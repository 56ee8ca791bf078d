"""The proxy per hub reads the compose variables, and refuses ones it cannot use (before any proxy
exists) rather than putting one hub on the wrong port."""

from __future__ import annotations

import pytest

from harness.errors import SetupError
from harness.infra.proxies import _fixed_ports


@pytest.mark.parametrize("value", ["18100", "18100,18101,18102", "user,market", "18100,"])
def test_unusable_fixed_ports_are_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FAULTLINE_PROXY_PORTS", value)
    with pytest.raises(SetupError, match="expected two ports, USER,MARKET"):
        _fixed_ports()


def test_two_ports_are_the_user_and_market_hubs_in_that_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAULTLINE_PROXY_PORTS", " 18100, 18101 ")
    assert _fixed_ports() == ["18100", "18101"]
    monkeypatch.delenv("FAULTLINE_PROXY_PORTS")
    assert _fixed_ports() == []
