"""Running an SDK's check script (``harness/clients/drivers/*_check.py``) in the SDK's own venv."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from harness.clients.envs import ClientEnv, ensure


async def run_check(env: ClientEnv, base: str, log: Path, *, seconds: float = 2.0) -> list[dict[str, Any]]:
    """Run ``env``'s check against the simulator at ``base`` (bounded: 120 s, then killed), its
    stderr into ``log``; every JSON object it printed on stdout, in order."""
    python = await asyncio.to_thread(ensure, env)
    with log.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            str(python),
            str(env.driver_path),
            "--base",
            base,
            "--seconds",
            str(seconds),
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            async with asyncio.timeout(120):
                out, _ = await proc.communicate()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    return [json.loads(line) for line in out.splitlines() if line.startswith(b"{")]
