"""``python -m harness.capture`` as a process: its first line, its exit codes, its refusals."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections import abc
from pathlib import Path

import aiohttp
import pytest

from harness.capture import read_capture
from simulator.projectx import Gateway

from .conftest import login, open_hub

ROOT = Path(__file__).resolve().parents[4]
FIRST_LINE = re.compile(r"capture listening on (http://127\.0\.0\.1:(\d+)) -> (\S+), writing (\S+)\n")


def argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.capture", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@contextlib.asynccontextmanager
async def capture_process(*args: str) -> abc.AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """Started, ready (its first line), and in any case SIGTERMed, waited for, then SIGKILLed;
    its stderr is attached to a failure."""
    proc = await asyncio.create_subprocess_exec(
        *argv(*args), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env()
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(20):
            line = (await proc.stdout.readline()).decode()
        yield proc, line
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        assert proc.stderr is not None
        sys.stderr.write((await proc.stderr.read()).decode())  # shown by pytest when a test fails


async def test_runs_until_sigterm_then_writes_the_end_and_exits_0(
    gateway: Gateway, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    out = tmp_path / "incident.jsonl"
    async with capture_process("--upstream", gateway.server.url, "--out", str(out), "--silence", "500ms") as (
        proc,
        line,
    ):
        match = FIRST_LINE.fullmatch(line)
        assert match, line
        url, port, upstream, written = match.groups()
        assert (upstream, written) == (gateway.server.url, str(out))
        assert port != "0"
        token = await login(http, url)
        client = await open_hub(http, url, "market", token)
        proc.send_signal(signal.SIGTERM)
        assert (await client.until_closed(within_s=10)).data == 1001
        async with asyncio.timeout(15):
            assert await proc.wait() == 0
    captured = read_capture(out)
    assert captured[0] | {"started": "", "listen": ""} == {
        "kind": "capture",
        "version": 1,
        "t": 0.0,
        "started": "",
        "upstream": gateway.server.url,
        "hubs_upstream": gateway.server.url,
        "listen": "",
        "silence_s": 0.5,
    }
    assert captured[0]["listen"] == f"127.0.0.1:{port}"
    assert [e["kind"] for e in captured if e["kind"] in ("open", "close", "end")] == ["open", "close", "end"]
    assert captured[-1] | {"t": 0} == {
        "kind": "end",
        "t": 0,
        "reason": "signal",
        "connections": 1,
        "records": 2,
        "rest": 1,
    }


def run(*args: str) -> tuple[int, str]:
    done = subprocess.run(argv(*args), capture_output=True, text=True, timeout=30, env=env(), check=False)
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.jsonl"], "the following arguments are required: --upstream"),
        (["--upstream", "ftp://h", "--out", "x.jsonl"], "is not an http:// or https:// URL"),
        (["--upstream", "http://h", "--out", "x.jsonl", "--silence", "5 parsecs"], "is not a duration"),
        (["--upstream", "http://h", "--out", "x.jsonl", "--listen", "nohost"], "is not HOST:PORT"),
        (["--upstream", "http://h", "--out", "no/such/dir/x.jsonl"], "is not a directory"),
    ],
)
def test_bad_flags_exit_2_with_usage(tmp_path: Path, args: list[str], message: str) -> None:
    args = [str(tmp_path / a) if a.endswith(".jsonl") else a for a in args]
    code, stderr = run(*args)
    assert code == 2
    assert stderr.startswith("usage: python -m harness.capture")
    assert message in stderr


def test_an_existing_out_is_refused_without_force(tmp_path: Path) -> None:
    out = tmp_path / "kept.jsonl"
    out.write_text("precious\n")
    code, stderr = run("--upstream", "http://127.0.0.1:9", "--out", str(out))
    assert code == 2
    assert f"{out} exists: choose another --out or pass --force" in stderr
    assert out.read_text() == "precious\n"


def test_a_port_in_use_exits_3_and_creates_no_file(tmp_path: Path) -> None:
    out = tmp_path / "never.jsonl"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = run(
            "--upstream", "http://127.0.0.1:9", "--out", str(out), "--listen", f"127.0.0.1:{port}"
        )
    assert code == 3
    assert stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not out.exists()


async def test_force_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "old.jsonl"
    out.write_text("old\n")
    async with capture_process("--upstream", "http://127.0.0.1:9", "--out", str(out), "--force") as (
        proc,
        line,
    ):
        assert FIRST_LINE.fullmatch(line), line
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(15):
            assert await proc.wait() == 0
    assert [e["kind"] for e in read_capture(out)] == ["capture", "end"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full (every write: ENOSPC)")
def test_a_file_that_cannot_be_written_stops_the_capture_with_1() -> None:
    code, stderr = run("--upstream", "http://127.0.0.1:9", "--out", "/dev/full", "--force")
    assert code == 1
    assert "error: cannot write /dev/full: [Errno 28] No space left on device" in stderr
