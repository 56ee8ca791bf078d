"""The soak's page: memory over time with the fit and the fault marks, the verdicts, where the
memory went (memray's top allocation sites of what stayed alive, and its flame graph), the
windows, and the command that runs it again. ``index.html`` in the soak's directory, beside
``verdicts.json`` (so a chaos run's index lists it), ``soak.json``, ``samples.jsonl`` and
``memory.jsonl``.
"""

from __future__ import annotations

import html
import json
import statistics
from collections import abc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..run.verdicts import Status, Verdict, overall
from .config import SoakConfig
from .growth import MB, Point, Slope, Window

W, H, LEFT = 900, 180, 70
COLOURS = ("#36c", "#c63", "#393", "#939", "#999")


@dataclass
class SoakResult:
    config: SoakConfig
    command: str
    directory: Path
    verdicts: list[Verdict]
    figures: dict[str, Any]
    windows: list[Window]
    series: dict[str, list[Point]]
    faults: list[dict[str, Any]]
    states: list[dict[str, Any]]
    started: float
    steady_from: float
    flamegraph: tuple[int, str | None] | None

    @property
    def status(self) -> Status:
        """fail if a verdict failed; unknown if none failed but the client could not say for some."""
        return overall(self.verdicts)

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def summary(self) -> str:
        lines = [f"soak {self.status.upper()}: {self.directory / 'index.html'}"]
        if "stopped_early_s" in self.figures:
            lines.append(f"  stopped early after {self.figures['stopped_early_s']:.0f} s, as asked")
        lines += [f"  {v.status.upper():7} {v.name}: {v.detail}" for v in self.verdicts]
        f = self.figures
        if f.get("received_msgs_per_s") is not None:
            cpu = f.get("client_cpu_us_per_msg")
            lines.append(
                f"  figures: {f['received_msgs_per_s']:.0f} msg/s received, client CPU "
                f"{cpu if cpu is None else format(cpu, '.1f')} us/msg, memray files "
                f"{f['capture_bytes'] / 1e3:.0f} kB ({(f.get('capture_bytes_per_hour') or 0) / 1e6:.2f} MB/h)"
            )
        lines.append(f"  again: {self.command}")
        return "\n".join(lines)


def _thin(points: abc.Sequence[Point], most: int = 1500) -> abc.Sequence[Point]:
    return points[:: max(1, len(points) // most)]


def chart(
    title: str,
    series: list[tuple[str, abc.Sequence[Point]]],
    result: SoakResult,
    *,
    scale: float = MB,
    unit: str = "MB",
    fits: abc.Sequence[tuple[Point, Point]] = (),
) -> str:
    """One SVG: the series against time since the start, fault bands, state ticks, warm-up shaded."""
    t0 = result.started
    t1 = max([t0 + result.config.duration_s] + [p[0] for _, pts in series for p in pts[-1:]])
    values = [p[1] / scale for _, pts in series for p in pts] + [0.0]
    top = max(values) * 1.1 or 1.0

    def x(t: float) -> float:
        return LEFT + (t - t0) / max(t1 - t0, 1e-9) * (W - LEFT - 10)

    def y(v: float) -> float:
        return 20 + (1 - v / scale / top) * (H - 40)

    parts = [
        f'<rect x="{LEFT}" y="20" width="{max(x(result.steady_from) - LEFT, 0):.1f}" height="{H - 40}" fill="#eee"><title>warm-up</title></rect>'
    ]
    applied: dict[tuple[str, str], float] = {}
    for f in result.faults:
        key = (f["fault"], f["hub"])
        if f["action"] == "apply":
            applied[key] = f["t"]
            parts.append(
                f'<line x1="{x(f["t"]):.1f}" x2="{x(f["t"]):.1f}" y1="20" y2="{H - 20}" stroke="#c33" opacity="0.5"><title>{html.escape(f["fault"])} {f["hub"]} +{f["t"] - t0:.1f} s</title></line>'
            )
        elif key in applied:
            start = applied.pop(key)
            parts.append(
                f'<rect x="{x(start):.1f}" y="20" width="{max(x(f["t"]) - x(start), 1):.1f}" height="{H - 40}" fill="#c33" opacity="0.15"/>'
            )
    for e in result.states:
        colour = "#3a3" if e["data"]["to"] == "connected" else "#e83"
        parts.append(
            f'<line x1="{x(e["t"]):.1f}" x2="{x(e["t"]):.1f}" y1="{H - 20}" y2="{H - 12}" stroke="{colour}"><title>{e["hub"]} {html.escape(e["data"]["to"])} +{e["t"] - t0:.1f} s</title></line>'
        )
    legend = []
    for i, (label, points) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        if points:
            pts = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in _thin(points))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.2"/>')
        legend.append(f'<tspan fill="{colour}">&#9632; {html.escape(label)}</tspan> ')
    for (ta, va), (tb, vb) in fits:
        parts.append(
            f'<line x1="{x(ta):.1f}" y1="{y(va):.1f}" x2="{x(tb):.1f}" y2="{y(vb):.1f}" stroke="#000" stroke-dasharray="4 3"/>'
        )
    axis = (
        f'<text x="4" y="24">{top:.2f} {unit}</text><text x="4" y="{H - 20}">0</text>'
        f'<text x="{LEFT}" y="{H - 1}">+0 s</text><text x="{W - 80}" y="{H - 1}">+{t1 - t0:.0f} s</text>'
        f'<text x="{LEFT}" y="12">{html.escape(title)}: {"".join(legend)}</text>'
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-size="11">{"".join(parts)}{axis}</svg>'


def _heap_fits(result: SoakResult) -> list[tuple[Point, Point]]:
    """The pooled slope drawn through each steady window, from its floor after settling."""
    slope = result.figures.get("heap_slope")
    fits = []
    for w in result.windows:
        after = [p for p in w.heap if p[0] >= w.start + (result.config.settle_s or 0)]
        if w.start >= result.steady_from and after and slope is not None:
            t, v = after[0][0], min(p[1] for p in after[: max(1, len(after) // 10)])
            fits.append(((t, v), (w.end, v + slope.per_hour * (w.end - t) / 3600)))
    return fits


def _figures_line(f: dict[str, Any]) -> str:
    rate, cpu = f.get("received_msgs_per_s"), f.get("client_cpu_us_per_msg")
    parts = [
        f"received {rate:,.0f} msg/s" if rate is not None else "no message counts",
        f"client CPU {cpu:.1f} &micro;s per message" if cpu is not None else "",
        f"memray files {f.get('capture_bytes', 0) / 1e3:,.0f} kB "
        f"({(f.get('capture_bytes_per_hour') or 0) / 1e6:.2f} MB per hour of run)",
    ]
    return " &middot; ".join(p for p in parts if p)


def write(result: SoakResult) -> None:
    d = result.directory
    (d / "verdicts.json").write_text(json.dumps([v.to_json() for v in result.verdicts], indent=2))
    figures = {k: (asdict(v) if isinstance(v, Slope) else v) for k, v in result.figures.items()}
    config = {
        k: (asdict(v) if hasattr(v, "__dataclass_fields__") else v) for k, v in asdict(result.config).items()
    }
    (d / "soak.json").write_text(
        json.dumps(
            {
                "ok": result.ok,
                "config": config,
                "command": result.command,
                "figures": figures,
                "verdicts": [v.to_json() for v in result.verdicts],
            },
            indent=2,
            default=str,
        )
    )
    heap = [p for w in result.windows for p in w.heap]
    memory = chart(
        "tracked heap, per memray window (dashed: the fitted growth)",
        [("heap", heap)],
        result,
        fits=_heap_fits(result),
    )
    rss_slope: Slope | None = result.figures.get("rss_slope")
    rss_fit: list[tuple[Point, Point]] = []
    steady_rss = [p for p in result.series["rss"] if p[0] >= result.steady_from]
    if rss_slope is not None and steady_rss:
        t_a, t_b = steady_rss[0][0], steady_rss[-1][0]
        # the fit's intercept: the median offset of the points from the slope (Theil-Sen's own)
        base = statistics.median(v - rss_slope.per_hour * (t - t_a) / 3600 for t, v in steady_rss)
        rss_fit = [((t_a, base), (t_b, base + rss_slope.per_hour * (t_b - t_a) / 3600))]
    process = chart(
        "client process (psutil)",
        [("RSS", result.series["rss"]), ("USS", result.series["uss"])],
        result,
        fits=rss_fit,
    )
    counts = chart(
        "the client's own counts",
        [(k, result.series[k]) for k in ("tasks", "callbacks", "queued")],
        result,
        scale=1.0,
        unit="",
    )
    status = result.status.upper()
    if result.status == "fail" and result.config.leak:
        status = "FAIL (a deliberate leak: the detector caught it)"
    rows = "".join(
        f"<tr><td>{v.status.upper()}</td><td>{html.escape(v.name)}</td><td>{html.escape(v.detail)}</td></tr>"
        for v in result.verdicts
    )
    sites = "".join(
        f"<tr><td>{size / 1e3:,.1f} kB</td><td>{count:,.0f}</td><td><code>{html.escape(site)}</code></td></tr>"
        for site, size, count in result.figures.get("sites", [])
    )
    flame = "<p>(no steady window: no flame graph)</p>"
    if result.flamegraph is not None:
        index, error = result.flamegraph
        flame = (
            f'<p><a href="growth-flamegraph.html">memray flame graph of window {index}</a> '
            "(what was allocated in it and still alive at its end: the growth, when there is growth)</p>"
            if error is None
            else f"<p>flame graph of window {index} failed: {html.escape(error)}</p>"
        )
    windows = "".join(
        f'<tr><td><a href="windows/w{w.index:05d}.bin">w{w.index:05d}</a></td><td>+{w.start - result.started:.0f} s</td>'
        f"<td>{w.end - w.start:.1f} s</td><td>{w.leaked_bytes / 1e3:,.1f} kB</td><td>{w.peak_heap / 1e3:,.1f} kB</td>"
        f"<td>{'steady' if w.start >= result.steady_from else 'warm-up'}</td></tr>"
        for w in result.windows
    )
    c = result.config
    page = f"""<!doctype html><meta charset="utf-8"><title>soak: {status}</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:2px 8px;text-align:left}} code{{background:#eee;padding:2px}}</style>
<h1>Soak: {status}</h1>
<p>client {html.escape(c.client)}{f" (leaking on purpose: {html.escape(c.leak)})" if c.leak else ""} &middot;
{c.duration_s:.0f} s at {c.rate:.0f} msg/s offered &middot; seed {c.seed} &middot; memray windows of {c.window_s:.0f} s
({"Python allocators traced" if c.pyalloc else "malloc level"}, snapshots every {c.interval_ms} ms) &middot;
faults {"every " + format(c.fault_every_s, ".0f") + " s" if c.faults else "off"} &middot; warm-up {c.warmup_s:.0f} s (grey)</p>
<p>{_figures_line(result.figures)}</p>
{f"<p><b>Stopped early</b> after {result.figures['stopped_early_s']:.0f} s of {c.duration_s:.0f} s, as asked: the verdicts judge what ran.</p>" if "stopped_early_s" in result.figures else ""}
<h2>Memory over time</h2>
<p>Red: faults (bands while a fault stands); ticks at the bottom: the client's hub states (green connected, orange otherwise).</p>
{memory}<br>{process}<br>{counts}
<h2>Verdicts</h2><table>{rows}</table>
<h2>Where memory went</h2>
<p>memray's allocation sites of what was still alive at the end of each steady window, per window
(a site is where the memory was allocated, not what keeps it alive).</p>
<table><tr><th>bytes</th><th>allocations</th><th>site</th></tr>{sites}</table>
{flame}
<h2>Run it again</h2><p><code>{html.escape(result.command)}</code></p>
<h2>Windows</h2><table><tr><th>file</th><th>start</th><th>length</th><th>alive at end</th><th>peak</th><th></th></tr>{windows}</table>
<p>Files: <a href="soak.json">soak.json</a>, <a href="verdicts.json">verdicts.json</a>, <a href="samples.jsonl">samples.jsonl</a>,
<a href="memory.jsonl">memory.jsonl</a>, <a href="timeline.json">timeline.json</a>, <a href="history.jsonl">history.jsonl</a> (faults, states, churn), <a href="client.log">client.log</a>,
<a href="simulator.log">simulator.log</a>. Any window: <code>python -m memray flamegraph --leaks windows/w00003.bin</code>.</p>"""
    (d / "index.html").write_text(page)
