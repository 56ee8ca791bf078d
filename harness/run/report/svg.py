"""Inline SVG, by hand: scales, an axis with round ticks, and the few shapes the charts draw.

Every chart's time axis is ``ticks`` over the run (round steps of 1, 2 or 5 times a power of ten,
labelled in seconds), drawn as ``<g class="axis">`` with a ``<line class="tick">`` and a label per
tick: the browser test looks for them. Text goes through ``esc``; numbers are rounded to 0.1 px.
"""

from __future__ import annotations

import html
import math
from collections import abc
from dataclasses import dataclass


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True, slots=True)
class Scale:
    """Maps ``lo..hi`` onto ``start..end`` (pixels; ``start > end`` for a y axis pointing up)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo
        fraction = (value - self.lo) / span if span > 0 else 0.0
        return self.start + fraction * (self.end - self.start)

    def clamped(self, value: float) -> float:
        return self(min(max(value, self.lo), self.hi))


def step_for(span: float, most: int = 10) -> float:
    """The round step (1, 2 or 5 times a power of ten) that cuts ``span`` into at most ``most``."""
    if span <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(span / most))
    return next(m * magnitude for m in (1, 2, 5, 10, 20) if span / (m * magnitude) <= most)


def ticks(lo: float, hi: float, most: int = 10) -> list[float]:
    """Round values from ``lo`` to ``hi`` (both included when round), at most ``most + 1`` of them."""
    if hi <= lo:
        return [lo]
    step = step_for(hi - lo, most)
    first = math.ceil(lo / step - 1e-9) * step
    count = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + i * step, 10) for i in range(count)]


def nice_top(value: float, most: int = 2) -> float:
    """The round value at or above ``value`` that an axis of at most ``most`` steps ends on."""
    if value <= 0:
        return 1.0
    step = step_for(value, most)
    return math.ceil(value / step - 1e-9) * step


def label(value: float, step: float, unit: str = "") -> str:
    """``value`` with as many decimals as ``step`` needs: 2 s, 0.5 s, 1.25 s; thousands as 10k."""
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    text = (
        f"{value / 1000:g}k" if step >= 1000 and value else f"{value:.{decimals}f}"
    )  # 10k: room for the unit
    return f"{text} {unit}" if unit else text


def time_unit(span_s: float) -> tuple[float, str]:
    """Seconds for a chaos run, minutes for a soak of ten minutes or more, hours past three."""
    return (3600.0, "h") if span_s >= 3 * 3600 else (60.0, "min") if span_s >= 600 else (1.0, "s")


def time_axis(x: Scale, top: float, bottom: float, *, labels_at: float, most: int = 12) -> str:
    """Grid lines from ``top`` to ``bottom`` at round times since ``x.lo`` (the run's start),
    labelled at ``labels_at`` (a y)."""
    per, unit = time_unit(x.hi - x.lo)
    step = step_for((x.hi - x.lo) / per, most)
    parts = []
    for value in ticks(0.0, (x.hi - x.lo) / per, most):
        px = x(x.lo + value * per)
        parts.append(
            f'<line class="tick" x1="{px:.1f}" x2="{px:.1f}" y1="{top:.1f}" y2="{bottom:.1f}"/>'
            f'<text x="{px:.1f}" y="{labels_at:.1f}" text-anchor="middle">{label(value, step, unit)}</text>'
        )
    return f'<g class="axis time-axis">{"".join(parts)}</g>'


def value_axis(y: Scale, left: float, right: float, unit: str, most: int = 2) -> str:
    """Horizontal grid lines at round values of ``y``, labelled left of ``left``."""
    step = step_for(y.hi - y.lo, most)
    parts = []
    for value in ticks(y.lo, y.hi, most):
        py = y(value)
        parts.append(
            f'<line class="tick" x1="{left:.1f}" x2="{right:.1f}" y1="{py:.1f}" y2="{py:.1f}"/>'
            f'<text x="{left - 4:.1f}" y="{py + 4:.1f}" text-anchor="end">{label(value, step, unit)}</text>'
        )
    return f'<g class="axis value-axis">{"".join(parts)}</g>'


def rect(x0: float, x1: float, y: float, height: float, css: str, *, tip: str = "", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    title = f"<title>{esc(tip)}</title>" if tip else ""
    return (
        f'<rect class="{css}" x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1.0):.1f}" '
        f'height="{height:.1f}"{extra}>{title}</rect>'
    )


def text(x: float, y: float, body: str, css: str = "", anchor: str = "start") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<text{klass} x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{esc(body)}</text>'


def polyline(points: abc.Iterable[tuple[float, float]], css: str) -> str:
    joined = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polyline class="{css}" points="{joined}"/>' if joined else ""


def svg(width: float, height: float, body: str, label_: str, *, defs: bool = False) -> str:
    """A chart that scales down with the page (never wider than its box) and keeps its proportions.
    ``defs``: this chart holds the page's one copy of the patterns (ids are unique per page)."""
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-label="{esc(label_)}">{DEFS if defs else ""}{body}</svg>'
    )


# The hatch that marks a fault being cleared (asked, not yet done), apart from the fault itself.
DEFS = (
    '<defs><pattern id="clearing" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f6c9c9"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#c0392b" stroke-width="2"/></pattern></defs>'
)
