"""The replay line printed on failures and on every report page survives being pasted into bash
or zsh at the repository root: node ids and report paths hold brackets (a glob to zsh) and a
``cmd:`` client holds spaces."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.chaos import directory_name, replay_command

NODE = "scenarios/test_partition.py::test_partition_of_the_market_hub[cmd:python planted.py --plant x]"
TIMELINE = Path(
    "reports/20261202-074751-1/test_partition_of_the_market_hub[cmd:python planted.py]/timeline.json"
)
SHELLS = [shell for shell in ("bash", "zsh") if shutil.which(shell)]


def words_in(shell: str, line: str) -> list[str]:
    """The arguments ``shell`` passes for ``line`` (its program replaced by a function that prints them)."""
    program, _, rest = line.partition(" ")
    script = f'args() {{ printf "%s\\0" "$@"; }}; args {rest}'
    done = subprocess.run([shell, "-c", script], capture_output=True, timeout=10, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return [program, *done.stdout.decode().split("\0")[:-1]]


def test_the_line_names_the_project_s_python_and_every_argument_intact() -> None:
    line = replay_command(NODE, 42, TIMELINE, "cmd:python planted.py --plant x")
    assert shlex.split(line) == [
        ".venv/bin/python" if line.startswith(".venv/") else Path(sys.executable).name,
        "-m", "pytest", NODE, "-m", "chaos", "--client", "cmd:python planted.py --plant x",
        "--chaos-seed", "42", "--chaos-replay", str(TIMELINE),
    ]  # fmt: skip


@pytest.mark.parametrize("shell", SHELLS)
def test_the_shell_sees_the_same_arguments(shell: str) -> None:
    line = replay_command(NODE, 42, TIMELINE, "cmd:python planted.py --plant x")
    assert words_in(shell, line) == shlex.split(line)


@pytest.mark.skipif("zsh" not in SHELLS, reason="zsh is not installed: shlex and bash check the quoting")
def test_zsh_refuses_the_unquoted_brackets_the_line_used_to_have() -> None:
    with pytest.raises(AssertionError, match=r"no matches found|bad pattern"):
        words_in("zsh", f"python -m pytest {TIMELINE}")


def test_a_cmd_client_s_slashes_do_not_nest_its_scenario_directory() -> None:
    assert directory_name("test_x[reference]") == "test_x[reference]"
    flat = directory_name("test_x[cmd:/usr/bin/python /tmp/a/planted.py --plant x]")
    assert "/" not in flat
    assert flat == "test_x[cmd:_usr_bin_python _tmp_a_planted.py --plant x]"
    long = directory_name("test_x[cmd:" + "/a" * 100 + "]")
    assert len(long) <= 150
    assert long != directory_name("test_x[cmd:" + "/a" * 99 + "/b]")
