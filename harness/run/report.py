"""Run reports a person would rather look at than read: ``reports/<run-id>/``.

Per scenario, in ``<run-id>/<scenario>/``: ``history.jsonl`` (the merged history), ``timeline.json``
(the resolved faults; replay with ``--chaos-replay``), ``verdicts.json`` and ``index.html``: the
fault timeline against each hub's state, and the client's message rate, as one SVG, then the
verdicts and the command that replays the run. ``<run-id>/index.html`` lists the scenarios;
``reports/latest`` points to the newest run.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path
from typing import Any

from .history import RunHistory
from .verdicts import Verdict, overall

STATE_COLOURS = {
    "connected": "#3a3",
    "connecting": "#db3",
    "reconnecting": "#e83",
    "failed": "#c33",
    "closed": "#999",
    "disconnected": "#ccc",
}
WIDTH, ROW = 900, 26


def _x(t: float, t0: float, span: float) -> float:
    return 110 + (t - t0) / span * (WIDTH - 120)


def timeline_svg(history: RunHistory) -> str:
    times = [e["t"] for e in history.client] + [f["t"] for f in history.faults]
    if not times:
        return "<p>(no events)</p>"
    t0, t1 = min(times), max(times)
    span = max(t1 - t0, 0.001)
    parts: list[str] = []
    y = 10
    for hub in ("user", "market"):
        parts.append(f'<text x="4" y="{y + 17}">{hub} state</text>')
        changes = [(e["t"], e["data"]["to"]) for e in history.client_events("state") if e["hub"] == hub]
        for (t, state), nxt in zip(changes, [*changes[1:], (t1, "")], strict=True):
            x0, x1 = _x(t, t0, span), _x(nxt[0], t0, span)
            colour = STATE_COLOURS.get(state, "#ccc")
            parts.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="20" fill="{colour}">'
                f"<title>{html.escape(state)} at +{t - t0:.2f} s</title></rect>"
            )
        y += ROW
        parts.append(f'<text x="4" y="{y + 17}">{hub} faults</text>')
        applied: dict[str, float] = {}
        for f in (f for f in history.faults if f["hub"] == hub):
            if f["action"] == "apply":
                applied[f["fault"]] = f["t"]
                continue
            start = applied.pop(f["fault"], f["t"])
            parts.append(_fault_bar(f["fault"], start, f["t"], t0=t0, span=span, y=y))
        for fault, start in applied.items():
            parts.append(_fault_bar(fault, start, t1, t0=t0, span=span, y=y))
        y += ROW
    parts.append(_rate_line(history, t0, span, y))
    y += 70
    axis = f'<text x="110" y="{y}">+0 s</text><text x="{WIDTH - 60}" y="{y}">+{span:.1f} s</text>'
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y + 10}" font-size="12">{"".join(parts)}{axis}</svg>'


def _fault_bar(fault: str, start: float, end: float, *, t0: float, span: float, y: int) -> str:
    x0, x1 = _x(start, t0, span), _x(end, t0, span)
    return (
        f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="20" fill="#c33" opacity="0.6">'
        f"<title>{html.escape(fault)}: +{start - t0:.2f} s to +{end - t0:.2f} s</title></rect>"
        f'<text x="{x0 + 3:.1f}" y="{y + 14}" fill="#fff">{html.escape(fault)}</text>'
    )


def _rate_line(history: RunHistory, t0: float, span: float, y: int) -> str:
    bins: Counter[int] = Counter()
    width = max(span / 100, 0.05)
    for e in history.client:
        if e.get("seq") is not None:
            bins[int((e["t"] - t0) / width)] += 1
    if not bins:
        return ""
    top = max(bins.values())
    points = " ".join(
        f"{_x(t0 + i * width, t0, span):.1f},{y + 60 - bins.get(i, 0) / top * 55:.1f}"
        for i in range(int(span / width) + 1)
    )
    label = (
        f'<text x="4" y="{y + 35}">msg rate</text><text x="4" y="{y + 50}">(max {top / width:.0f}/s)</text>'
    )
    return f'{label}<polyline points="{points}" fill="none" stroke="#36c"/>'


def write_scenario(
    directory: Path, name: str, history: RunHistory, verdicts: list[Verdict], replay: str
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    history.save(directory / "history.jsonl")
    (directory / "verdicts.json").write_text(json.dumps([v.to_json() for v in verdicts], indent=2))
    rows = "".join(
        f"<tr><td>{v.status.upper()}</td><td>{html.escape(v.name)}</td><td>{html.escape(v.detail)}</td></tr>"
        for v in verdicts
    )
    status = overall(verdicts).upper()
    judged = history.meta.get("findings")
    known = ""
    if judged:
        ids = "/".join(f["id"] for f in judged["claims"])
        if judged["status"] == "reproduced":
            status = f"FINDING {ids} REPRODUCED"
        elif judged["status"] == "error":
            status = f"ERROR (findings {ids} not as claimed)"
        known = "".join(
            f"<p><b>{html.escape(f['id'])} ({html.escape(f['expect'])})</b>: {html.escape(f['mechanism'])} "
            f"<i>verdicts: {html.escape(', '.join(f['verdicts']))}</i></p>"
            for f in judged["claims"]
        ) + "".join(f"<p><b>Not as claimed</b>: {html.escape(p)}</p>" for p in judged["problems"])
    page = f"""<!doctype html><meta charset="utf-8"><title>{html.escape(name)}: {status}</title>
<style>body{{font-family:sans-serif;margin:2em}} td{{padding:2px 8px}} code{{background:#eee;padding:2px}}</style>
<h1>{html.escape(name)}: {status}</h1>
<p>seed {history.meta.get("seed")} &middot; client {html.escape(str(history.meta.get("client")))}</p>
{known}
{timeline_svg(history)}
<h2>Verdicts</h2><table>{rows}</table>
<h2>Replay</h2><p><code>{html.escape(replay)}</code></p>
<p>Files: <a href="history.jsonl">history.jsonl</a>, <a href="timeline.json">timeline.json</a>,
<a href="verdicts.json">verdicts.json</a></p>"""
    (directory / "index.html").write_text(page)


def write_index(run_dir: Path) -> None:
    rows = []
    for scenario in sorted(p for p in run_dir.iterdir() if (p / "verdicts.json").is_file()):
        rows_json: list[dict[str, Any]] = json.loads((scenario / "verdicts.json").read_text())
        verdicts = [Verdict.from_json(row) for row in rows_json]
        status = overall(verdicts).upper()
        failed = ", ".join(f"{v.name} ({v.status})" for v in verdicts if v.ok is not True)
        soak = scenario / "soak.json"
        if status == "FAIL" and soak.is_file() and json.loads(soak.read_text())["config"].get("leak"):
            status = "FAIL (a deliberate leak, caught)"  # the detector's positive control
        rows.append(
            f'<tr><td>{status}</td><td><a href="{scenario.name}/index.html">'
            f"{html.escape(scenario.name)}</a></td><td>{html.escape(failed)}</td></tr>"
        )
    page = f"""<!doctype html><meta charset="utf-8"><title>chaos run {run_dir.name}</title>
<style>body{{font-family:sans-serif;margin:2em}} td{{padding:2px 8px}}</style>
<h1>Chaos run {html.escape(run_dir.name)}</h1><table>{"".join(rows)}</table>"""
    (run_dir / "index.html").write_text(page)
