"""The scenario page's two charts, on one time axis (seconds since the run started).

The timeline: per hub, its faults (solid while active, hatched while being cleared), the client's
connection attempts, one state lane per client (a herd's nine clients on nine lanes), and the
messages per second the server sent (dashed) and the client received (blue), with what was lost
marked where it was sent (amber: the client reported it; black: neither received nor reported).
Numbered markers are the moments listed under the chart (lost, back, gave up, with reasons).

The metrics: each measure the client reports (queue, tasks, loop lag, RTT), one row each.
"""

from __future__ import annotations

import itertools
from collections import abc
from dataclasses import dataclass, field

from ..history import FaultSpan, RunHistory
from . import story
from .page import legend
from .svg import Scale, esc, nice_top, polyline, rect, step_for, svg, text, time_axis, value_axis

W, LEFT, RIGHT = 1160, 190, 1140
LABELS = LEFT - 46  # lane labels end here; a value axis's numbers sit between them and the plot
STATE_COLOURS = {
    "connected": "#43a047",
    "connecting": "#fdd835",
    "reconnecting": "#fb8c00",
    "failed": "#6a1b9a",  # not the faults' red
    "closed": "#9e9e9e",
    "disconnected": "#e0e0e0",
}
# How a loss is drawn: its class, what it means, and its row (counted up from the plot's bottom).
LOSSES = {
    "reported": ("lost-reported", "reported lost by the client", 1),
    "coalesced": ("lost-coalesced", "coalesced by the client (counted, not delivered)", 2),
    "silent": ("lost-silent", "neither received nor reported", 3),
}
SWATCHES = {
    "fault": "#d32f2f",
    "clearing": "repeating-linear-gradient(45deg,#c0392b 0 2px,#f6c9c9 2px 6px)",
    "sent": "repeating-linear-gradient(90deg,#37474f 0 5px,transparent 5px 8px)",
    "received": "#90c2f0",
    "lost-reported": "#f9a825",
    "lost-coalesced": "#9e9e9e",
    "lost-silent": "#000",
}


@dataclass
class Canvas:
    """Shapes drawn behind (bands) and in front, and the y where the next row goes."""

    x: Scale
    y: float = 26.0
    back: list[str] = field(default_factory=list)
    front: list[str] = field(default_factory=list)

    def lane_label(self, body: str, height: float, css: str = "lane") -> None:
        self.front.append(text(LABELS, self.y + height / 2 + 4, body, css, "end"))


def timeline(history: RunHistory, t0: float, t1: float, groups: list[list[story.Moment]]) -> str:
    """``groups``: the numbered moments (``story.grouped``), each marked on its clients' lanes."""
    canvas = Canvas(Scale(t0, t1, LEFT, RIGHT))
    spans, lanes, lost = history.fault_spans(), story.state_spans(history), story.losses(history)
    many = len(story.clients(history)) > 1
    numbered = {id(m): n for n, group in enumerate(groups, 1) for m in group}
    marks = [m for group in groups for m in group]
    for hub in story.HUBS:
        top = canvas.y
        canvas.front.append(text(8, canvas.y + 14, f"{hub} hub", "hub"))
        canvas.y += 20
        _faults(canvas, [s for s in spans if s.hub == hub], t1)
        _attempts(canvas, history, hub)
        for (client, lane_hub), states in lanes.items():
            if lane_hub == hub:
                mine = [m for m in marks if m.hub == hub and m.client == client]
                name = f"client {client + 1}" if many else "state"
                _states(canvas, states, name, marks=mine, numbered=numbered, compact=many)
        _messages(canvas, history, hub, [x for x in lost if x.hub == hub])
        for s in (s for s in spans if s.hub == hub):
            end = s.asked if s.asked is not None else t1
            canvas.back.append(rect(canvas.x(s.start), canvas.x(end), top, canvas.y - top, "fault-band"))
        canvas.y += 14
    axis = time_axis(canvas.x, 18, canvas.y, labels_at=12) + time_axis(
        canvas.x, canvas.y, canvas.y, labels_at=canvas.y + 14
    )
    body = "".join(canvas.back) + axis + "".join(canvas.front)
    body += text(LABELS, canvas.y + 14, "seconds", "muted", "end")
    return svg(W, canvas.y + 22, body, "timeline: faults, states and messages per hub", defs=True)


def timeline_legend(history: RunHistory) -> str:
    """What the timeline's colours mean: only those it draws."""
    states = [s for s in STATE_COLOURS if any(e["data"]["to"] == s for e in history.client_events("state"))]
    items = [(STATE_COLOURS[s], f"state: {s}") for s in states]
    spans = history.fault_spans()
    if spans:
        items.append((SWATCHES["fault"], "fault active"))
    if any(s.asked is not None and s.done is not None and s.done - s.asked > 0.01 for s in spans):
        items.append((SWATCHES["clearing"], "fault being cleared"))
    if any(story.flows(history)):
        items += [
            (SWATCHES["sent"], "messages sent by the server"),
            (SWATCHES["received"], "messages received"),
        ]
    for how in dict.fromkeys(loss.how for loss in story.losses(history)):
        css, said, _ = LOSSES[how]
        items.append((SWATCHES[css], said))
    tried = [r for r in history.requests if r["requestLine"].startswith(("POST /hubs/", "GET /hubs/"))]
    if tried:
        refused = any(r.get("status") not in (200, 101) for r in tried)
        items.append(("#555", "connection attempt" + " (red: refused)" * refused))
    return legend(items) + '<p class="muted">Numbered circles: the moments listed under the chart.</p>'


def _faults(canvas: Canvas, spans: list[FaultSpan], t1: float) -> None:
    """One bar per fault, overlapping faults on rows of their own (a partition and a hub-down at
    once both show, each with its name)."""
    height, gap = 18.0, 2.0
    canvas.lane_label("faults", height)
    x = canvas.x
    rows: list[float] = []  # each row's right edge so far, in pixels
    for s in spans:
        end = s.asked if s.asked is not None else t1
        inside = x(end) - x(s.start) > 7 * len(s.fault) + 6
        right = x(max(end, s.done or end)) + (0.0 if inside else 7 * len(s.fault) + 8)
        row = next((i for i, edge in enumerate(rows) if edge + 4 <= x(s.start)), len(rows))
        rows[row : row + 1] = [right]
        y = canvas.y + row * (height + gap)
        tip = f"{s.fault}: {s.start - x.lo:.2f} s to {end - x.lo:.2f} s"
        canvas.front.append(rect(x(s.start), x(end), y, height, "fault", tip=tip))
        if s.asked is not None and s.done is not None and s.done - s.asked > 0.01:
            tip = f"{s.fault} being cleared: asked at {s.asked - x.lo:.2f} s, done at {s.done - x.lo:.2f} s"
            canvas.front.append(rect(x(s.asked), x(s.done), y, height, "clearing", tip=tip))
        at = x(s.start) + 4 if inside else x(max(end, s.done or end)) + 4
        canvas.front.append(text(at, y + 13, s.fault, "on-bar" if inside else ""))
    canvas.y += max(len(rows), 1) * (height + gap) + 2


def _attempts(canvas: Canvas, history: RunHistory, hub: str) -> None:
    tried = [
        r
        for r in history.requests
        if r["requestLine"].startswith((f"POST /hubs/{hub}/negotiate", f"GET /hubs/{hub}"))
    ]
    if not tried:
        return
    height = 12.0
    canvas.lane_label("connects", height)
    for r in tried:
        px, refused = canvas.x(r["t"]), r.get("status") not in (200, 101)
        tip = f"{r['requestLine'].split('?')[0]} at {r['t'] - canvas.x.lo:.2f} s: {r.get('status')}"
        canvas.front.append(
            f'<line class="attempt{" refused" if refused else ""}" x1="{px:.1f}" x2="{px:.1f}" '
            f'y1="{canvas.y:.1f}" y2="{canvas.y + height:.1f}"><title>{esc(tip)}</title></line>'
        )
    canvas.y += height + 4


def _states(
    canvas: Canvas,
    states: list[story.StateSpan],
    name: str,
    *,
    marks: list[story.Moment],
    numbered: dict[int, int],
    compact: bool,
) -> None:
    height = 12.0 if compact else 18.0
    canvas.lane_label(name, height)
    x = canvas.x
    for s in states:
        tip = f"{s.state} from {s.start - x.lo:.2f} s" + (f": {s.reason}" if s.reason else "")
        colour = STATE_COLOURS.get(s.state, "#ccc")
        canvas.front.append(
            rect(x(s.start), x(s.end), canvas.y, height, f"state {s.state}", tip=tip, fill=colour)
        )
    last = -1e9
    for m in sorted(marks, key=lambda m: m.t):
        px = max(x(m.t), last + 15)
        last = px
        centre = canvas.y + height / 2
        tip = f"{m.kind}: {m.said or m.note}"
        canvas.front.append(
            f'<g class="marker"><title>{esc(tip)}</title><circle cx="{px:.1f}" cy="{centre:.1f}" r="7"/>'
            f'<text x="{px:.1f}" y="{centre + 3.5:.1f}" text-anchor="middle">{numbered[id(m)]}</text></g>'
        )
    canvas.y += height + (2 if compact else 4)


def _messages(canvas: Canvas, history: RunHistory, hub: str, lost: list[story.Loss]) -> None:
    x = canvas.x
    width = step_for(x.hi - x.lo, 80)
    edges = [x.lo + i * width for i in range(int((x.hi - x.lo) / width) + 2)]
    sent, received = story.rates(history, hub, edges)
    if not any(sent) and not any(received):
        return
    height = 64.0
    y = Scale(0, nice_top(max([*sent, *received])), canvas.y + height, canvas.y)
    canvas.front.append(text(LABELS, canvas.y + 12, "messages", "lane", "end"))
    canvas.front.append(text(LABELS, canvas.y + 26, "per second", "muted", "end"))
    canvas.back.append(value_axis(y, LEFT, RIGHT, "/s"))
    mids = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    area = [
        (x(mids[0]), y(0)),
        *((x(t), y(v)) for t, v in zip(mids, received, strict=False)),
        (x(mids[-1]), y(0)),
    ]
    canvas.front.append(polyline(area, "received"))
    canvas.front.append(polyline(((x(t), y(v)) for t, v in zip(mids, sent, strict=False)), "sent"))
    for loss in lost:
        css, said, row = LOSSES[loss.how]
        tip = f"{loss.count} {loss.stream} {said}, sent {loss.start - x.lo:.2f}-{loss.end - x.lo:.2f} s"
        band_y = canvas.y + height - 7 * row
        canvas.front.append(rect(x(loss.start), max(x(loss.end), x(loss.start) + 3), band_y, 6, css, tip=tip))
    canvas.y += height + 4


def metrics_chart(history: RunHistory, t0: float, t1: float) -> str:
    series = story.metric_series(history)
    if not series:
        return ""
    canvas = Canvas(Scale(t0, t1, LEFT, RIGHT), y=30.0)
    height = 40.0
    for name, per_client in series.items():
        values = [v for points in per_client.values() for _, v in points]
        whole = all(float(v).is_integer() for v in values)  # counts: whole steps on the axis
        y = Scale(0, max(nice_top(max(values)), 2.0 if whole else 0.0), canvas.y + height, canvas.y)
        canvas.lane_label(story.METRICS[name], height)
        canvas.back.append(value_axis(y, LEFT, RIGHT, ""))
        for points in per_client.values():
            canvas.front.append(polyline(((canvas.x(t), y(v)) for t, v in _thin(points)), "metric"))
        canvas.y += height + 20
    for s in history.fault_spans():
        end = s.asked if s.asked is not None else t1
        canvas.back.append(rect(canvas.x(s.start), canvas.x(end), 18, canvas.y - 18, "fault-band"))
    axis = time_axis(canvas.x, 18, canvas.y, labels_at=12) + time_axis(
        canvas.x, canvas.y, canvas.y, labels_at=canvas.y + 14
    )
    body = "".join(canvas.back) + axis + "".join(canvas.front)
    return svg(W, canvas.y + 22, body, "the client's metrics over time")


def _thin(points: abc.Sequence[tuple[float, float]], most: int = 1200) -> abc.Sequence[tuple[float, float]]:
    return points[:: max(1, len(points) // most)]
