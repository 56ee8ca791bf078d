"""What every report page shares: the outcomes (word and colour), the page's frame and its style.

Pages are static files with no script and nothing fetched: one ``<style>``, inline SVG. Nothing is
wider than the window: long ids and commands wrap (``overflow-wrap: anywhere``), charts scale down.
"""

from __future__ import annotations

from dataclasses import dataclass

from .svg import esc


@dataclass(frozen=True, slots=True)
class Outcome:
    word: str  # shown in capitals
    colour: str
    meaning: str


# A scenario run's outcome, in the order an index lists them (what needs a look first).
OUTCOMES = {
    "fail": Outcome("fail", "#c62828", "a verdict failed (not as a finding claims)"),
    "error": Outcome("error", "#6d1b1b", "the scenario stopped before its verdicts"),
    "unknown": Outcome("unknown", "#b26a00", "nothing failed, but the client cannot say for some verdicts"),
    "reproduced": Outcome(
        "reproduced", "#6a3fb5", "failed exactly as a finding claims (an expected failure)"
    ),
    "pass": Outcome("pass", "#2e7d32", "every verdict held"),
}
VERDICT_COLOURS = {"pass": OUTCOMES["pass"].colour, "fail": OUTCOMES["fail"].colour, "unknown": "#b26a00"}


def badge(outcome: str) -> str:
    known = OUTCOMES.get(outcome)
    colour = known.colour if known else VERDICT_COLOURS.get(outcome, "#555")
    return f'<span class="badge {esc(outcome)}" style="background:{colour}">{esc(outcome.upper())}</span>'


STYLE = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:0;
  background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.55em;line-height:1.25;margin:.3em 0 .1em;overflow-wrap:anywhere}
h2{font-size:1.15em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
a{color:#0b57d0}
nav{font-size:.95em}
.id{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;color:#666;overflow-wrap:anywhere}
.meta{color:#444;margin:.4em 0}
.about{color:#333;max-width:75em}
code,pre{font:13px/1.45 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f0f0f0;border:1px solid #ddd;border-radius:4px;padding:8px 10px;margin:.3em 0;
  white-space:pre-wrap;overflow-wrap:anywhere}
pre.replay code{user-select:all}
.badge{display:inline-block;color:#fff;border-radius:3px;padding:0 6px;font-size:12px;font-weight:600;
  letter-spacing:.03em;white-space:nowrap;vertical-align:1px}
.box{border:1px solid #ccc;border-left:6px solid var(--c,#888);background:#fff;border-radius:4px;
  padding:10px 16px;margin:12px 0}
.box h2{border:0;margin:.2em 0 .4em;padding:0}
.box dl{display:grid;grid-template-columns:9em 1fr;gap:4px 12px;margin:0}
.box dt{font-weight:600;color:#444}
.box dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;table-layout:fixed;background:#fff}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #eee;overflow-wrap:anywhere}
th{font-size:.85em;color:#555;font-weight:600;border-bottom:1px solid #ccc}
tr.fail td,tr.error td{background:#fff5f5}
tr.unknown td{background:#fffaf0}
.legend{list-style:none;padding:0;margin:.4em 0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;
  color:#333}
.legend li{display:flex;align-items:center;gap:5px}
.swatch{display:inline-block;width:22px;height:11px;border-radius:2px}
svg.chart{display:block;width:100%;height:auto;background:#fff;border:1px solid #e3e3e3;border-radius:4px}
svg.chart text{font:11px system-ui,sans-serif;fill:#333}
svg.chart text.lane{font-size:12px}
svg.chart text.hub{font-size:13px;font-weight:600}
svg.chart text.on-bar{fill:#fff;font-size:11px}
svg.chart .tick{stroke:#e4e4e4;stroke-width:1}
svg.chart .sent{fill:none;stroke:#37474f;stroke-width:1.3;stroke-dasharray:4 2}
svg.chart .received{fill:#1e88e5;fill-opacity:.25;stroke:#1e88e5;stroke-width:1.3}
svg.chart .metric{fill:none;stroke:#00897b;stroke-width:1.3}
svg.chart .fault{fill:#d32f2f}
svg.chart .clearing{fill:url(#clearing)}
svg.chart .fault-band{fill:#d32f2f;fill-opacity:.07}
svg.chart .soak-fault{fill:#d32f2f;fill-opacity:.18}
svg.chart .warmup{fill:#eee}
h3{font-size:1em;margin:1em 0 .2em}
svg.chart .lost-reported{fill:#f9a825;fill-opacity:.85}
svg.chart .lost-coalesced{fill:#9e9e9e}
svg.chart .lost-silent{fill:#000}
svg.chart .attempt{stroke:#555;stroke-width:1.5}
svg.chart .attempt.refused{stroke:#d32f2f}
svg.chart .marker circle{fill:#fff;stroke:#111;stroke-width:1.3}
svg.chart .marker text{font-size:10px;font-weight:700;fill:#111}
ol.moments{padding-left:2em;margin:.4em 0}
ol.moments li{margin:.15em 0}
.files{columns:2 20em;padding-left:1.2em}
.muted{color:#666}
.count{margin-right:.6em;white-space:nowrap}
.count.none{opacity:.4}
"""


def html_page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def legend(items: list[tuple[str, str]]) -> str:
    """An HTML legend: (CSS background of the swatch, what it means)."""
    cells = "".join(f'<li><span class="swatch" style="background:{c}"></span>{esc(w)}</li>' for c, w in items)
    return f'<ul class="legend">{cells}</ul>'
