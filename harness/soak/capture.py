"""Reading memray's window files in the harness: the heap series, what was alive at the window's
end and where it was allocated, and the flame graph of that growth (``memray flamegraph --leaks``).

memray is the same pinned version here and in the client's interpreter (the file format is
versioned); a window that cannot be read is reported, never fatal.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from .growth import Window

ROOT = Path(__file__).resolve().parents[2]
SITES_PER_WINDOW = 20


def site_name(stack: list[tuple[str, str, int]], depth: int = 2) -> str:
    """``function file:line < caller file:line``, paths shortened to the package or this repo."""
    if not stack:
        return "(no Python frame: interpreter or native)"
    return " < ".join(f"{fn} {_short(path)}:{line}" for fn, path, line in stack[:depth])


def _short(path: str) -> str:
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return Path(path).name


def read_window(path: Path, index: int, start: float, end: float) -> Window:
    """One closed window: heap snapshots (epoch s, bytes), bytes alive at its end, top sites."""
    import memray

    reader = memray.FileReader(str(path), report_progress=False, max_memory_records=10_000_000)
    heap = [(s.time / 1000.0, float(s.heap)) for s in reader.get_memory_snapshots()]
    sizes: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for record in reader.get_leaked_allocation_records(merge_threads=True):
        site = site_name(record.stack_trace(max_stacks=2))
        sizes[site] += record.size
        counts[site] += record.n_allocations
    sites = [(site, size, counts[site]) for site, size in sizes.most_common(SITES_PER_WINDOW)]
    return Window(
        index=index,
        start=start,
        end=end,
        heap=heap,
        leaked_bytes=sum(sizes.values()),
        peak_heap=int(max((v for _, v in heap), default=0)),
        sites=sites,
    )


def window_json(window: Window) -> dict[str, Any]:
    """What ``memory.jsonl`` keeps per window (the heap series is in the window file itself)."""
    return {
        "window": window.index,
        "start": window.start,
        "end": window.end,
        "leaked_bytes": window.leaked_bytes,
        "peak_heap": window.peak_heap,
        "sites": window.sites[:5],
    }


def flamegraph(capture: Path, out: Path, timeout_s: float = 300.0) -> str | None:
    """``memray flamegraph --leaks`` of one window, self-contained (``--no-web``); None or the error."""
    argv = [
        sys.executable,
        "-m",
        "memray",
        "flamegraph",
        "--leaks",
        "--no-web",
        "-f",
        "-o",
        str(out),
        str(capture),
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return f"memray flamegraph took more than {timeout_s:.0f} s"
    if done.returncode != 0:
        return (
            (done.stderr or done.stdout).strip().splitlines()[-1:][0]
            if (done.stderr or done.stdout)
            else "failed"
        )
    return None
