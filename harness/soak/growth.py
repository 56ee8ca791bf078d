"""Is memory growth bounded? Pure functions over samples, re-runnable on a saved soak.

The tracked heap comes from rotating memray windows (``harness/clients/drivers/memory_agent.py``): in each
window memray's ``heap`` counts only what was allocated since the window opened and is still alive.
A bounded client's window heap climbs while its working set turns over, then stays flat; a leak
keeps it rising at the leak's rate. Two things also raise it once, and must not read as a leak:
the turnover right after the window opens, and a reconnect (new connection objects; the old ones
were allocated before the window, so their frees are not seen). So the series is cut into
*segments* at every window boundary and every disturbance (a fault applied or cleared, the client
changing state, callbacks churned); the first ``settle_s`` of each segment is dropped; each segment
is split into sub-windows of ``sub_s`` and only their *floors* (minimum) are kept, so bursts of
in-flight messages do not count, only memory that stays. The growth slope is the median of the
pairwise slopes between floors of the same segment, pooled over all segments (Theil-Sen within
segments): robust to the odd step, and a staircase (arena-sized steps when Python allocators are
not traced) still reads as its average rate. The reference measured why floors and not raw points
(``reference/load-memory.md`` section 2.5).
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections import abc
from dataclasses import dataclass, field

from ..run.verdicts import Verdict

HOUR = 3600.0
MB = 1e6

Point = tuple[float, float]  # (epoch seconds, value)


@dataclass(frozen=True, slots=True)
class Thresholds:
    # bytes/hour, the tracked heap's growth. None: by the run (SoakConfig.resolved), what the
    # measured noise allows: 10 MB/h under 5 min, 3 MB/h under 1 h, 2 MB/h from 1 h (Python
    # allocators traced); 10 MB/h without allocator tracing.
    max_heap_slope: float | None = None
    max_heap_high_water: float = 256 * MB  # bytes, the largest tracked heap of any window
    # bytes/hour, the loose backstop: RSS includes memray's own tables and the interpreter's caches,
    # which fill for the first ~25 minutes (measured ~20 MB). None: 1 GB/h under 10 min, 200 MB/h
    # under 1 h, 64 MB/h beyond (SoakConfig.resolved).
    max_rss_slope: float | None = None
    count_growth: int = 8  # tasks, callbacks, queued items: floor growth allowed (and 10 % more)
    min_pairs: int = 20  # fewer undisturbed floor pairs than this: the run proves nothing


@dataclass(frozen=True, slots=True)
class Window:
    """One closed memray window: its heap series and what was alive at its end."""

    index: int
    start: float
    end: float
    heap: list[Point]
    leaked_bytes: int = 0  # allocated in the window and alive at its end
    peak_heap: int = 0
    sites: list[tuple[str, int, int]] = field(default_factory=list)  # (site, bytes, allocations)


@dataclass(frozen=True, slots=True)
class Slope:
    per_hour: float  # median pairwise slope, units/hour
    low: float  # interquartile range of the pairwise slopes
    high: float
    pairs: int
    segments: int
    seconds: float  # undisturbed time the floors cover

    def describe(self, unit: float = MB, name: str = "MB") -> str:
        return (
            f"{self.per_hour / unit:+.2f} {name}/h (IQR {self.low / unit:+.2f}..{self.high / unit:+.2f}, "
            f"{self.pairs} floor pairs in {self.segments} segments, {self.seconds:.0f} s undisturbed)"
        )


def theil_sen_pairs(points: abc.Sequence[Point]) -> list[float]:
    """All pairwise slopes (per second) of ``points``; capped at ~5000 by striding long series."""
    stride = max(1, len(points) // 100)
    pts = points[::stride]
    return [
        (pts[j][1] - pts[i][1]) / (pts[j][0] - pts[i][0])
        for i in range(len(pts))
        for j in range(i + 1, len(pts))
        if pts[j][0] != pts[i][0]
    ]


def floors(points: abc.Sequence[Point], start: float, end: float, sub_s: float) -> list[Point]:
    """The minimum of each ``sub_s`` sub-window of [start, end), at the sub-window's middle; a
    sub-window without a point is skipped."""
    out: list[Point] = []
    n = int((end - start) // sub_s)
    times = [p[0] for p in points]
    for k in range(n):
        lo, hi = start + k * sub_s, start + (k + 1) * sub_s
        values = [v for _, v in points[bisect.bisect_left(times, lo) : bisect.bisect_left(times, hi)]]
        if values:
            out.append((lo + sub_s / 2, min(values)))
    return out


def segments(
    start: float, end: float, breaks: abc.Iterable[float], settle_s: float
) -> list[tuple[float, float]]:
    """[start, end) cut at every break, each piece without its first ``settle_s``."""
    cuts = sorted({start, *(b for b in breaks if start < b < end), end})
    return [(a + settle_s, b) for a, b in itertools.pairwise(cuts) if b - a > settle_s]


def segmented_slope(
    series: abc.Sequence[tuple[float, float, list[Point]]],
    breaks: abc.Sequence[float],
    *,
    settle_s: float,
    sub_s: float,
) -> Slope:
    """The pooled within-segment Theil-Sen slope of sub-window floors. ``series`` is a list of
    (start, end, points), one per stretch whose baseline is its own (a memray window)."""
    slopes: list[float] = []
    used = covered = 0.0
    for start, end, points in series:
        for a, b in segments(start, end, breaks, settle_s):
            fl = floors(points, a, b, sub_s)
            if len(fl) >= 2:
                slopes += theil_sen_pairs(fl)
                used += 1
                covered += b - a
    if not slopes:
        return Slope(0.0, 0.0, 0.0, 0, int(used), covered)
    q = statistics.quantiles(slopes, n=4) if len(slopes) > 1 else [slopes[0]] * 3
    return Slope(statistics.median(slopes) * HOUR, q[0] * HOUR, q[2] * HOUR, len(slopes), int(used), covered)


def floor_growth(points: abc.Sequence[Point], k: int = 10) -> tuple[float, float] | None:
    """(median of the first 3 floors, of the last 3) over ``k`` equal windows; None if too few points."""
    if len(points) < k:
        return None
    start, end = points[0][0], points[-1][0] + 1e-9
    fl = [v for _, v in floors(points, start, end, (end - start) / k)]
    if len(fl) < 6:
        return None
    return statistics.median(fl[:3]), statistics.median(fl[-3:])


def count_bounded(name: str, points: abc.Sequence[Point], tolerance: int) -> Verdict:
    """A count (tasks, callbacks, queued items) whose floor must not climb over the run."""
    if not points:  # the client does not count this: unknown, never a pass
        return Verdict.unknown(name, "not reported by this client")
    grown = floor_growth(points)
    top = max(v for _, v in points)
    if grown is None:
        detail = f"too few samples ({len(points)}) to judge: nothing was tested; max {top:.0f}"
        return Verdict(name, False, detail)
    first, last = grown
    allowed = first + max(tolerance, 0.1 * first)
    return Verdict(
        name,
        last <= allowed,
        f"floor {first:.0f} at the start, {last:.0f} at the end (allowed {allowed:.0f}); max {top:.0f}",
    )


def rss_slope(points: abc.Sequence[Point], k: int = 10) -> Slope:
    """Theil-Sen over ``k`` floors of the whole steady RSS series (no segments: RSS is absolute)."""
    if len(points) < k:
        return Slope(0.0, 0.0, 0.0, 0, 0, 0.0)
    start, end = points[0][0], points[-1][0] + 1e-9
    return segmented_slope([(start, end, list(points))], [], settle_s=0.0, sub_s=(end - start) / k)


def sites_summary(windows: abc.Sequence[Window], top: int = 5) -> list[tuple[str, float, float]]:
    """Allocation sites by bytes alive at the end of a window, averaged over ``windows``:
    (site, bytes per window, allocations per window). With growth, the leak is at the top."""
    totals: dict[str, list[float]] = {}
    for window in windows:
        for site, size, count in window.sites:
            entry = totals.setdefault(site, [0.0, 0.0])
            entry[0] += size
            entry[1] += count
    n = max(1, len(windows))
    ranked = sorted(totals.items(), key=lambda item: -item[1][0])[:top]
    return [(site, size / n, count / n) for site, (size, count) in ranked]


def judge(
    windows: abc.Sequence[Window],
    breaks: abc.Sequence[float],
    rss: abc.Sequence[Point],
    counts: abc.Mapping[str, abc.Sequence[Point]],
    *,
    warmup_until: float,
    settle_s: float,
    sub_s: float,
    thresholds: Thresholds = Thresholds(),
) -> tuple[list[Verdict], dict[str, object]]:
    """The soak's verdicts and the figures behind them (for the report), from the steady part."""
    steady = [w for w in windows if w.start >= warmup_until]
    heap = segmented_slope([(w.start, w.end, w.heap) for w in steady], breaks, settle_s=settle_s, sub_s=sub_s)
    sites = sites_summary(steady)
    where = "; ".join(f"{site} {size / 1e3:.1f} kB/window" for site, size, _ in sites[:3]) or "nothing"
    enough = heap.pairs >= thresholds.min_pairs
    limit = thresholds.max_heap_slope if thresholds.max_heap_slope is not None else 10 * MB
    rss_limit = thresholds.max_rss_slope if thresholds.max_rss_slope is not None else 200 * MB
    verdicts = [
        Verdict(
            "heap_growth_bounded",
            enough and heap.per_hour <= limit,
            f"tracked heap {heap.describe()}; threshold {limit / MB:.1f} MB/h"
            + ("" if enough else f"; too little undisturbed data (< {thresholds.min_pairs} pairs)")
            + f"; alive at window ends: {where}",
        )
    ]
    high = max((w.peak_heap for w in steady), default=0)
    verdicts.append(
        Verdict(
            "heap_high_water",
            bool(steady) and high <= thresholds.max_heap_high_water,
            f"largest tracked heap of a window {high / MB:.2f} MB; bound "
            f"{thresholds.max_heap_high_water / MB:.0f} MB ({len(steady)} steady windows)",
        )
    )
    steady_rss = [p for p in rss if p[0] >= warmup_until]
    rss_fit = rss_slope(steady_rss)
    verdicts.append(
        Verdict(
            "rss_backstop",
            rss_fit.per_hour <= rss_limit,
            f"RSS floors {rss_fit.describe()}; loose threshold {rss_limit / MB:.0f} MB/h"
            + (f"; high water {max(v for _, v in rss) / MB:.1f} MB" if rss else "; no samples"),
        )
    )
    for name, points in counts.items():
        steady_points = [p for p in points if p[0] >= warmup_until]
        verdicts.append(count_bounded(f"{name}_bounded", steady_points, thresholds.count_growth))
    figures = {
        "heap_slope": heap,
        "rss_slope": rss_fit,
        "heap_high_water": high,
        "sites": sites,
        "steady_windows": len(steady),
    }
    return verdicts, figures
