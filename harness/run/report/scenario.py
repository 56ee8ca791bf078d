"""One scenario run's page (``index.html`` in its directory) and what the run index reads of it
(``report.json``): the title, the outcome and its one-line reason.

The page, top to bottom: a way back to the run; the title with the run's id beneath; a "what
happened" box (the outcome and why, the faults, when the client noticed and came back, what was
lost, the line that replays it); the timeline and its numbered moments; the verdicts; the
client's metrics; every file of the run directory.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..history import FaultSpan, RunHistory
from ..verdicts import Verdict, overall
from . import chart, story
from .page import OUTCOMES, badge, html_page
from .svg import esc
from .titles import paragraphs, prose_html, scenario_title


def outcome_of(verdicts: list[Verdict], meta: dict[str, Any]) -> tuple[str, str]:
    """The run's outcome (a key of ``OUTCOMES``) and its reason in a line."""
    if not verdicts:
        return "error", f"stopped before its verdicts: {meta.get('error') or 'no verdict was recorded'}"
    failed = [v for v in verdicts if v.failed]
    first = f"{failed[0].name}: {failed[0].detail}" if failed else ""
    judged = meta.get("findings") or {}
    if judged.get("status") == "reproduced":
        ids = ", ".join(c["id"] for c in judged.get("claims", []) if c.get("expect") == "reproduced")
        return "reproduced", f"finding {ids} reproduced, as claimed: {first}"
    if judged.get("status") == "error":
        return "fail", "; ".join(judged.get("problems", [])) or first
    status = overall(verdicts)
    if status == "fail":
        return "fail", first
    if status == "unknown":
        return "unknown", "the client cannot say: " + ", ".join(v.name for v in verdicts if v.ok is None)
    return "pass", f"all {len(verdicts)} verdicts held"


EPOCH = re.compile(r"\b1\d{9}\.\d+\b")


def relative(text: str, t0: float, t1: float) -> str:
    """``text`` with the epoch times in it (as checks word their details) as seconds into the run."""

    def shown(match: re.Match[str]) -> str:
        t = float(match.group(0))
        return f"{t - t0:.2f} s" if t0 - 3600 <= t <= t1 + 3600 else match.group(0)

    return EPOCH.sub(shown, text)


def write_scenario(
    directory: Path, name: str, history: RunHistory, verdicts: list[Verdict], replay: str
) -> None:
    """Save the history and verdicts of a scenario run, and its page and summary."""
    directory.mkdir(parents=True, exist_ok=True)
    history.save(directory / "history.jsonl")
    (directory / "verdicts.json").write_text(json.dumps([v.to_json() for v in verdicts], indent=2))
    meta = history.meta
    t0, t1 = story.bounds(history)
    verdicts = [Verdict(v.name, v.ok, relative(v.detail, t0, t1)) for v in verdicts]  # for the page only
    outcome, reason = outcome_of(verdicts, meta)
    if outcome == "pass":
        reason += _gist(history)
    title = scenario_title(name, str(meta.get("client", "")), str(meta.get("title", "")))
    summary = {
        "name": name,
        "title": title.text,
        "ids": list(title.ids),
        "variant": title.variant,
        "client": meta.get("client"),
        "seed": meta.get("seed"),
        "outcome": outcome,
        "reason": reason,
        "started": t0,
        "took_s": round(t1 - t0, 2),
        "replay": replay,
    }
    (directory / "report.json").write_text(json.dumps(summary, indent=2))
    (directory / "index.html").write_text(_page(directory, name, history, verdicts, summary))


def _gist(history: RunHistory) -> str:
    """What the first fault did, as a clause: "; partition on market: lost after 1.45 s, back 0.1 s later"."""
    spans = history.fault_spans()
    if not spans:
        return ""
    first = spans[0]
    marks = [m for m in story.moments(history) if m.hub == first.hub and m.client == 0 and m.t >= first.start]
    lost = next((m for m in marks if m.kind != "back"), None)
    said = f"; {first.fault} on {first.hub}: "
    if lost is None:
        return said + "the hub stayed connected"
    back = next((m for m in marks if m.kind == "back" and m.t > lost.t), None)
    again = f", back {back.t - lost.t:.2f} s later" if back else ", not back"
    return said + f"{lost.kind} after {lost.t - first.start:.2f} s{again}"


def _page(directory: Path, name: str, history: RunHistory, verdicts: list[Verdict], s: dict[str, Any]) -> str:
    t0, t1 = story.bounds(history)
    groups = story.grouped(story.moments(history))
    ids = "".join(f" &middot; {esc(i)}" for i in s["ids"])
    variant = f" ({esc(s['variant'])})" if s["variant"] else ""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t0)) if t0 else "?"
    doc = str(history.meta.get("about", ""))
    about = "".join(f'<p class="about">{prose_html(p)}</p>' for p in paragraphs(doc))
    timeline = chart.timeline(history, t0, t1, groups) if t1 > t0 else "<p>(nothing was recorded)</p>"
    metrics = chart.metrics_chart(history, t0, t1) if t1 > t0 else ""
    body = f"""<nav><a href="../index.html">&larr; all scenarios of this run</a></nav>
<h1>{esc(s["title"])}{variant}</h1>
<div class="id">{esc(name)}</div>
<p class="meta">{badge(s["outcome"])} client <b>{esc(s["client"])}</b> &middot; seed {esc(s["seed"])}
&middot; {s["took_s"]:.1f} s &middot; {esc(when)}{ids}</p>
{about}
{_what_happened(history, verdicts, s, groups, t0)}
<h2>Timeline</h2>
{chart.timeline_legend(history)}
{timeline}
{_moments(groups, t0)}
<h2>Verdicts</h2>
{_verdicts(verdicts, history)}
{_metrics_section(metrics, history)}
<h2>Files</h2>
{_files(directory)}"""
    return html_page(f"{s['outcome'].upper()}: {s['title']}", body)


def _what_happened(
    history: RunHistory,
    verdicts: list[Verdict],
    s: dict[str, Any],
    groups: list[list[story.Moment]],
    t0: float,
) -> str:
    colour = OUTCOMES[s["outcome"]].colour
    rows = [("Outcome", f"{badge(s['outcome'])} {esc(s['reason'])}")]
    spans = history.fault_spans()
    rows.append(("Fault", "<br>".join(esc(f.describe(t0)) for f in spans) or "none was injected"))
    rows.append(("Noticed", _noticed(history, spans, groups, t0)))
    back = [g for g in groups if g[0].kind == "back"]
    rows.append(("Back", "<br>".join(esc(_moment_line(g, t0)) for g in back[:4]) or _still_down(history)))
    rows.append(("Lost", _lost(history, verdicts)))
    if history.meta.get("error"):
        rows.append(("Error", f"<code>{esc(history.meta['error'])}</code>"))
    rows.append(("Replay", _replay(s["replay"])))
    cells = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        f'<section class="box what-happened" style="--c:{colour}">'
        f"<h2>What happened</h2><dl>{cells}</dl></section>"
    )


def _noticed(history: RunHistory, spans: list[FaultSpan], groups: list[list[story.Moment]], t0: float) -> str:
    lines = []
    for hub in dict.fromkeys(s.hub for s in spans):
        lost = [g for g in groups if g[0].hub == hub and g[0].kind in ("lost", "gave up")]
        lines += [_moment_line(g, t0) for g in lost[:3]] or [_never_lost(history, hub, spans, t0)]
        if len(lost) > 3:
            lines.append(f"... and {len(lost) - 3} more times on the {hub} hub (below)")
    if not spans:
        lines = [_moment_line(g, t0) for g in groups if g[0].kind != "back"][:3] or ["nothing was lost"]
    return "<br>".join(esc(line) for line in lines)


def _never_lost(history: RunHistory, hub: str, spans: list[FaultSpan], t0: float) -> str:
    """Why no loss is listed for ``hub``: it never left CONNECTED, or was not connected yet."""
    first = min(s.start for s in spans if s.hub == hub)
    states = story.state_spans(history).get((0, hub), [])
    at_fault = next((s.state for s in states if s.start <= first < s.end), "not yet opened")
    if at_fault == "connected":
        return f"the client never said it lost the {hub} hub"
    connected = next((s.start for s in states if s.state == "connected" and s.start >= first), None)
    then = f"first connected at {connected - t0:.2f} s" if connected is not None else "never connected"
    return f"the {hub} hub was {at_fault} when the fault began; {then}"


def _moment_line(group: list[story.Moment], t0: float) -> str:
    m = group[0]
    said = f': "{m.said}"' if m.said else ""
    who = f" by {_clients(group)}" if len(group) > 1 else f" by client {m.client + 1}" if m.client else ""
    return f"{m.hub} hub {m.kind} at {m.t - t0:.2f} s{who} ({m.note}){said}"


def _clients(group: list[story.Moment]) -> str:
    numbers = sorted(m.client + 1 for m in group)
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"clients {numbers[0]}-{numbers[-1]}"
    return "clients " + ", ".join(map(str, numbers))


def _still_down(history: RunHistory) -> str:
    last: dict[str, str] = {}
    for e in history.client_events("state"):
        if e["data"]["to"] != "closed":
            last[e["hub"]] = e["data"]["to"]
    down = {hub: state for hub, state in last.items() if state != "connected"}
    return esc(f"never: at the end {down}") if down else "no hub was lost"


def _lost(history: RunHistory, verdicts: list[Verdict]) -> str:
    lines = []
    for f in story.flows(history):
        line = f"{f.hub} hub: {f.sent} sent, {f.received} received"
        if f.reported_lost:
            line += f", {f.reported_lost} reported lost by the client"
        if f.coalesced:
            line += f", {f.coalesced} quotes coalesced (the client counts them)"
        if f.unreported is None:
            line += " (the client gives no sequence numbers: counted, not matched)"
        else:
            line += f", {f.unreported} neither received nor reported"
        lines.append(esc(line))
    loss = next((v for v in verdicts if v.name == "no_silent_loss"), None)
    if loss is not None:
        lines.append(f"{badge(loss.status)} no_silent_loss: {esc(loss.detail)}")
    return "<br>".join(lines) or "no stream message was sent"


def _replay(command: str) -> str:
    if not command:
        return "(no replay command for this run)"
    return (
        f'<pre class="replay"><code>{esc(command)}</code></pre>'
        '<span class="muted">from the repository root, in bash or zsh</span>'
    )


def _moments(groups: list[list[story.Moment]], t0: float) -> str:
    if not groups:
        return '<p class="muted">The client never lost a hub.</p>'
    items = "".join(f"<li>{esc(_moment_line(g, t0))}</li>" for g in groups)
    return f'<ol class="moments">{items}</ol>'


def _verdicts(verdicts: list[Verdict], history: RunHistory) -> str:
    if not verdicts:
        return "<p>None: the scenario stopped before its checks.</p>"
    rows = "".join(
        f'<tr class="{v.status}"><td>{badge(v.status)}</td><td><code>{esc(v.name)}</code></td>'
        f"<td>{esc(v.detail)}</td></tr>"
        for v in verdicts
    )
    judged = history.meta.get("findings")
    claims = ""
    if judged:
        claims = "".join(
            f"<li><b>{esc(c['id'])}</b> ({esc(c['expect'])}): {esc(c['mechanism'])} "
            f'<span class="muted">verdicts: {esc(", ".join(c["verdicts"]))}</span></li>'
            for c in judged["claims"]
        ) + "".join(f"<li><b>Not as claimed</b>: {esc(p)}</li>" for p in judged.get("problems", []))
        claims = f"<p>What this client's findings claim here:</p><ul>{claims}</ul>"
    head = '<tr><th style="width:7em">verdict</th><th style="width:22em">invariant</th><th>detail</th></tr>'
    return f"<table>{head}{rows}</table>{claims}"


def _metrics_section(metrics: str, history: RunHistory) -> str:
    counters = story.counters_at_end(history)
    if not metrics and not counters:
        return ""
    listed = ", ".join(f"{esc(k)} {v}" for k, v in counters.items()) or "all zero"
    return f"<h2>Client metrics</h2>{metrics}<p>Counters at the end: {listed}.</p>"


def _files(directory: Path) -> str:
    names = sorted(p.name for p in directory.iterdir() if p.is_file() and p.name != "index.html")
    items = "".join(
        f'<li><a href="{quote(n)}">{esc(n)}</a> <span class="muted">{_size(directory / n)}</span></li>'
        for n in names
    )
    return (
        f'<ul class="files">{items}</ul><p><a href="../index.html">&larr; all scenarios of this run</a></p>'
    )


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB" if size >= 1e3 else f"{size} B"
