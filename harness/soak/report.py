"""The soak's page: what happened in a box (the outcome and why, the figures, the command that runs
it again), memory over time with the fit and the fault marks, the verdicts, where the memory went
(memray's top allocation sites of what stayed alive, and its flame graph), the windows, every file.
``index.html`` in the soak's directory, beside ``verdicts.json``, ``report.json`` (so a run's index
lists it: ``harness/run/report``), ``soak.json``, ``samples.jsonl`` and ``memory.jsonl``; the page
and its charts share the chaos reports' style, axes and outcomes.
"""

from __future__ import annotations

import json
import statistics
from collections import abc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..run.report.page import OUTCOMES, badge, html_page, legend
from ..run.report.svg import Scale, esc, nice_top, rect, svg, time_axis, value_axis
from ..run.verdicts import Status, Verdict, overall
from .config import SoakConfig
from .growth import MB, Point, Slope, Window

W, H, LEFT, RIGHT = 1160, 190, 90, 1140
BACK = '<nav><a href="../index.html">&larr; all runs</a></nav>'
COLOURS = ("#1e88e5", "#e65100", "#2e7d32", "#8e24aa", "#757575")


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
    series: abc.Sequence[tuple[str, abc.Sequence[Point]]],
    result: SoakResult,
    *,
    scale: float = MB,
    unit: str = "MB",
    fits: abc.Sequence[tuple[Point, Point]] = (),
) -> str:
    """One SVG with its legend: the series against time since the start, fault bands, state ticks,
    warm-up shaded."""
    t0 = result.started
    t1 = max([t0 + result.config.duration_s] + [p[0] for _, pts in series for p in pts[-1:]])
    x = Scale(t0, t1, LEFT, RIGHT)
    y = Scale(0, nice_top(max([p[1] / scale for _, pts in series for p in pts], default=0.0)), H - 30, 14)
    back = [
        rect(LEFT, x(result.steady_from), 14, H - 44, "warmup", tip="warm-up"),
        value_axis(y, LEFT, RIGHT, unit),
    ]
    front = []
    applied: dict[tuple[str, str], float] = {}
    for f in result.faults:
        key = (f["fault"], f["hub"])
        if f["action"] == "apply":
            applied[key] = f["t"]
        elif key in applied:
            start = applied.pop(key)
            tip = f"{f['fault']} on the {f['hub']} hub at {start - t0:.1f} s"
            back.append(
                rect(
                    x(start), max(x(start) + 2, x(f.get("asked", f["t"]))), 14, H - 44, "soak-fault", tip=tip
                )
            )
    for e in result.states:
        colour = "#43a047" if e["data"]["to"] == "connected" else "#fb8c00"
        tip = f"{e['hub']} {e['data']['to']} at {e['t'] - t0:.1f} s"
        front.append(rect(x(e["t"]), x(e["t"]) + 1.5, H - 30, 8, "state", tip=tip, fill=colour))
    items = []
    for i, (label_, points) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        pts = " ".join(f"{x(t):.1f},{y(v / scale):.1f}" for t, v in _thin(points))
        front.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.3"/>')
        items.append((colour, label_))
    for (ta, va), (tb, vb) in fits:
        front.append(
            f'<line x1="{x(ta):.1f}" y1="{y(va / scale):.1f}" x2="{x(tb):.1f}" y2="{y(vb / scale):.1f}" '
            'stroke="#000" stroke-dasharray="4 3"/>'
        )
    axis = time_axis(x, 14, H - 30, labels_at=H - 8)
    items += [("#000", "fitted growth (dashed)")] * bool(fits)
    body = "".join(back) + axis + "".join(front)
    return legend(items) + svg(W, H, body, ", ".join(label_ for label_, _ in series))


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


def write(result: SoakResult, *, indexed: bool = True) -> None:
    """The soak's files: ``verdicts.json``, ``soak.json``, ``report.json`` (for a run's index) and
    ``index.html``, which links back to the index beside it when there is one (``indexed``)."""
    d = result.directory
    (d / "verdicts.json").write_text(json.dumps([v.to_json() for v in result.verdicts], indent=2))
    figures = {k: (asdict(v) if isinstance(v, Slope) else v) for k, v in result.figures.items()}
    config = {
        k: (asdict(v) if hasattr(v, "__dataclass_fields__") else v) for k, v in asdict(result.config).items()
    }
    body = {"ok": result.ok, "config": config, "command": result.command, "figures": figures}
    body["verdicts"] = [v.to_json() for v in result.verdicts]
    (d / "soak.json").write_text(json.dumps(body, indent=2, default=str))
    outcome, reason = _outcome(result)
    summary = {
        "name": d.name,
        "title": f"Memory soak of {result.config.client}"
        + (" (leaking on purpose)" if result.config.leak else ""),
        "ids": ["R10", "R16"],
        "variant": "",
        "client": result.config.client,
        "seed": result.config.seed,
        "outcome": outcome,
        "reason": reason,
        "started": result.started,
        "took_s": round(result.config.duration_s, 1),
        "replay": result.command,
    }
    (d / "report.json").write_text(json.dumps(summary, indent=2))
    page = _page(result, summary)
    if not indexed:
        page = page.replace(BACK, "")
    (d / "index.html").write_text(html_page(f"{outcome.upper()}: {summary['title']}", page))


def _outcome(result: SoakResult) -> tuple[str, str]:
    failed = [v for v in result.verdicts if v.ok is not True]
    reason = (
        f"{failed[0].name}: {failed[0].detail}" if failed else f"all {len(result.verdicts)} verdicts held"
    )
    if result.status == "fail" and result.config.leak:  # the detector's positive control
        return "reproduced", f"a deliberate leak ({result.config.leak}), caught: {reason}"
    return result.status, reason


def _charts(result: SoakResult) -> str:
    heap = [p for w in result.windows for p in w.heap]
    rss_slope: Slope | None = result.figures.get("rss_slope")
    rss_fit: list[tuple[Point, Point]] = []
    steady_rss = [p for p in result.series["rss"] if p[0] >= result.steady_from]
    if rss_slope is not None and steady_rss:
        t_a, t_b = steady_rss[0][0], steady_rss[-1][0]
        # the fit's intercept: the median offset of the points from the slope (Theil-Sen's own)
        base = statistics.median(v - rss_slope.per_hour * (t - t_a) / 3600 for t, v in steady_rss)
        rss_fit = [((t_a, base), (t_b, base + rss_slope.per_hour * (t_b - t_a) / 3600))]
    counts = [(k, result.series[k]) for k in ("tasks", "callbacks", "queued")]
    return (
        "<h3>Tracked heap, per memray window</h3>"
        + chart([("heap", heap)], result, fits=_heap_fits(result))
        + "<h3>The client's process (psutil)</h3>"
        + chart([("RSS", result.series["rss"]), ("USS", result.series["uss"])], result, fits=rss_fit)
        + "<h3>The client's own counts</h3>"
        + chart(counts, result, scale=1.0, unit="")
    )


def _page(result: SoakResult, summary: dict[str, Any]) -> str:
    c, d = result.config, result.directory
    rows = "".join(
        f'<tr class="{v.status}"><td>{badge(v.status)}</td><td><code>{esc(v.name)}</code></td>'
        f"<td>{esc(v.detail)}</td></tr>"
        for v in result.verdicts
    )
    sites = "".join(
        f"<tr><td>{size / 1e3:,.1f} kB</td><td>{count:,.0f}</td><td><code>{esc(site)}</code></td></tr>"
        for site, size, count in result.figures.get("sites", [])
    )
    windows = "".join(
        f'<tr><td><a href="windows/w{w.index:05d}.bin">w{w.index:05d}</a></td><td>{w.start - result.started:.0f} s</td>'
        f"<td>{w.end - w.start:.1f} s</td><td>{w.leaked_bytes / 1e3:,.1f} kB</td><td>{w.peak_heap / 1e3:,.1f} kB</td>"
        f"<td>{'steady' if w.start >= result.steady_from else 'warm-up'}</td></tr>"
        for w in result.windows
    )
    stopped = result.figures.get("stopped_early_s")
    early = f" Stopped early after {stopped:.0f} s, as asked: the verdicts judge what ran." if stopped else ""
    faults = f"every {c.fault_every_s:.0f} s" if c.faults else "off"
    return f"""{BACK}
<h1>{esc(summary["title"])}</h1><div class="id">{esc(d.name)}</div>
<p class="meta">{badge(summary["outcome"])} client <b>{esc(c.client)}</b> &middot; {c.duration_s:.0f} s at
{c.rate:.0f} msg/s offered &middot; seed {c.seed} &middot; faults {faults} &middot; R10, R16</p>
<section class="box what-happened" style="--c:{OUTCOMES[summary["outcome"]].colour}"><h2>What happened</h2><dl>
<dt>Outcome</dt><dd>{badge(summary["outcome"])} {esc(summary["reason"])}{esc(early)}</dd>
<dt>Measured</dt><dd>{_figures_line(result.figures)}</dd>
<dt>Memory</dt><dd>memray windows of {c.window_s:.0f} s ({"Python allocators traced" if c.pyalloc else "malloc level"},
snapshots every {c.interval_ms} ms); the first {c.warmup_s:.0f} s are warm-up (grey), judged apart</dd>
<dt>Run it again</dt><dd><pre class="replay"><code>{esc(result.command)}</code></pre>
<span class="muted">from the repository root, in bash or zsh</span></dd></dl></section>
<h2>Memory over time</h2>
<p class="muted">Red bands: a fault standing; ticks at the bottom: the client's hub states (green connected,
orange otherwise); grey: warm-up.</p>
{_charts(result)}
<h2>Verdicts</h2><table><tr><th style="width:7em">verdict</th><th style="width:14em">invariant</th><th>detail</th></tr>{rows}</table>
<h2>Where memory went</h2>
<p>memray's allocation sites of what was still alive at the end of each steady window, per window
(a site is where the memory was allocated, not what keeps it alive).</p>
<table><tr><th style="width:8em">bytes</th><th style="width:8em">allocations</th><th>site</th></tr>{sites}</table>
{_flame(result)}
<h2>Windows</h2><table><tr><th>file</th><th>start</th><th>length</th><th>alive at end</th><th>peak</th><th></th></tr>{windows}</table>
<p class="muted">Any window: <code>python -m memray flamegraph --leaks windows/w00003.bin</code></p>
<h2>Files</h2>{_files(d)}"""


def _flame(result: SoakResult) -> str:
    if result.flamegraph is None:
        return "<p>(no steady window: no flame graph)</p>"
    index, error = result.flamegraph
    if error is not None:
        return f"<p>flame graph of window {index} failed: {esc(error)}</p>"
    return (
        f'<p><a href="growth-flamegraph.html">memray flame graph of window {index}</a> '
        "(what was allocated in it and still alive at its end: the growth, when there is growth)</p>"
    )


def _files(directory: Path) -> str:
    names = sorted(p.name for p in directory.iterdir() if p.is_file() and p.name != "index.html")
    items = "".join(f'<li><a href="{quote(n)}">{esc(n)}</a></li>' for n in names)
    return f'<ul class="files">{items}</ul>{BACK}'
