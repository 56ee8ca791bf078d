"""docker-compose.yml against the Compose Specification, with compose-go (the loader `docker
compose` itself uses), built from the Go module proxy: no Docker engine needed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "tools" / "composecheck"


def compose_check(path: Path) -> subprocess.CompletedProcess[str]:
    go = shutil.which("go")
    if go is None:
        pytest.fail("Go is needed to validate docker-compose.yml (install it, as `make setup` needs it too)")
    return subprocess.run(
        [go, "run", ".", str(path)], cwd=CHECKER, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_compose_file_is_valid_and_names_both_services() -> None:
    result = compose_check(ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["service", "simulator", "service", "toxiproxy"]


def test_the_checker_rejects_a_file_that_breaks_the_specification(tmp_path: Path) -> None:
    bad = tmp_path / "compose.yml"
    bad.write_text(
        "services:\n  web:\n    image: nginx\n    ports: 80\n    healthcheck:\n      retries: many\n"
    )
    result = compose_check(bad)
    assert result.returncode == 1
    assert "invalid" in result.stderr


def test_the_toxiproxy_image_is_the_pinned_version() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "ghcr.io/shopify/toxiproxy:2.12.0" in text
