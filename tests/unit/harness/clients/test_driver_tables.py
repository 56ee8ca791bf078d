"""The drivers run in the clients' own venvs and import nothing of this project, so they keep their
own copy of the targets table (``client_driver.KINDS``): it must stay the harness's."""

from __future__ import annotations

import importlib

import pytest

from harness.clients.adapters import DRIVERS
from harness.infra.gateway import TARGETS, hub_of


def test_the_drivers_copy_of_the_targets_is_the_harness_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(DRIVERS))
    driver = importlib.import_module("client_driver")
    assert driver.KINDS == TARGETS
    assert set(driver.USER_KINDS) == {kind for kind, target in TARGETS.items() if hub_of(target) == "user"}
