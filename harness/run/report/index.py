"""A run's index (``<run-dir>/index.html``): what the run was (date, clients, seed, duration, the
command), how many scenarios came out which way (unknown and reproduced included), then one row per
scenario, failures first: its title with the id beneath, its outcome, and why in one line.

Rows come from each scenario directory's ``report.json`` (``scenario.py``); a directory with only a
``verdicts.json`` (a soak's) is read from that. A folder of scenario directories (an exploration's
``explore-<client>/``) gets an index of its own and one row here. When the run's findings matrix
(``matrix.json``) is there, it adds how long each took and the scenarios that never got as far as a
directory (a set-up error). ``run.json`` keeps what the run was, for the next write.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..verdicts import Verdict, overall
from .page import OUTCOMES, badge, html_page
from .svg import esc
from .titles import scenario_title


@dataclass(frozen=True, slots=True)
class RunAbout:
    """What a run was, for its index's summary."""

    kind: str = "Run"  # "Chaos run", "Incident replay", "Exploration"
    seed: int | None = None
    clients: tuple[str, ...] = ()
    started: float | None = None
    ended: float | None = None
    command: str = ""


@dataclass(frozen=True, slots=True)
class Row:
    outcome: str
    title: str
    name: str
    reason: str
    href: str
    client: str = ""
    started: float | None = None
    took_s: float | None = None
    group: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def write_index(run_dir: Path, about: RunAbout | None = None, *, nested: bool = False) -> None:
    """Write ``run_dir/index.html`` (and the index of each folder of scenario runs in it, which
    links back: ``nested``)."""
    if about is not None:
        (run_dir / "run.json").write_text(json.dumps(asdict(about), indent=2))
    else:
        about = _load_about(run_dir)
    rows = _rows(run_dir)
    order = list(OUTCOMES)
    rows.sort(key=lambda r: (r.group, order.index(r.outcome) if r.outcome in order else 0, r.title))
    up = '<nav><a href="../index.html">&larr; the whole run</a></nav>' if nested else ""
    page = html_page(f"{about.kind} {run_dir.name}", up + _summary(run_dir, about, rows) + _table(rows))
    (run_dir / "index.html").write_text(page)


def _load_about(run_dir: Path) -> RunAbout:
    path = run_dir / "run.json"
    if not path.is_file():
        return RunAbout()
    body = json.loads(path.read_text())
    return RunAbout(**{**body, "clients": tuple(body.get("clients", ()))})


def _rows(run_dir: Path) -> list[Row]:
    took, rows = _matrix(run_dir), []
    for child in sorted(p for p in run_dir.iterdir() if p.is_dir() and not p.is_symlink()):  # not latest
        if (child / "report.json").is_file() or (child / "verdicts.json").is_file():
            row = _from_report(child) if (child / "report.json").is_file() else _from_verdicts(child)
            rows.append(_with_cell(row, took.pop(child.name, None) or took.pop(_matrix_name(row), None)))
        elif any((g / "report.json").is_file() for g in child.iterdir() if g.is_dir()):
            rows.append(_group(child))
    for name, cell in took.items():  # no directory of its own: a set-up error, or an exploration
        outcome = cell["outcome"] if cell["outcome"] in OUTCOMES else "error"
        title = scenario_title(name, cell.get("client", "")).text
        reason = cell.get("detail") or ("set-up failed" if outcome == "error" else outcome)
        rows.append(Row(outcome, title, name, reason, "", cell.get("client", ""), None, cell.get("took_s")))
    return rows


def _matrix(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The findings matrix's cells by report directory (name of the scenario when it has none)."""
    path = run_dir / "matrix.json"
    if not path.is_file():
        return {}
    return {row["report"] or row["scenario"]: row for row in json.loads(path.read_text())}


def _matrix_name(row: Row) -> str:
    """How the matrix names a scenario run: its pytest name without the client's parameter."""
    base, _, params = row.name.partition("[")
    variant = scenario_title(row.name, row.client).variant if params else ""
    return f"{base}[{variant}]" if variant else base


def _with_cell(row: Row, cell: dict[str, Any] | None) -> Row:
    """The row as the matrix saw it too: how long pytest took, and an error it found after the
    scenario's own verdicts (an expected failure that passed, a teardown that failed)."""
    if cell is None:
        return row
    outcome, reason = row.outcome, row.reason
    if cell.get("outcome") == "error" and outcome in ("pass", "unknown"):
        outcome, reason = "error", cell.get("detail") or "pytest failed it after its verdicts"
    return replace(row, outcome=outcome, reason=reason, took_s=cell.get("took_s", row.took_s))


def _from_report(directory: Path) -> Row:
    s = json.loads((directory / "report.json").read_text())
    title = s["title"] + (f" ({s['variant']})" if s.get("variant") else "")
    href = f"{quote(directory.name)}/index.html"
    client = str(s.get("client") or "")
    return Row(s["outcome"], title, s["name"], s["reason"], href, client, s.get("started"), s.get("took_s"))


def _from_verdicts(directory: Path) -> Row:
    """A page without a ``report.json``: a soak's, or a run written before there was one."""
    verdicts = [Verdict.from_json(v) for v in json.loads((directory / "verdicts.json").read_text())]
    outcome: str = overall(verdicts)
    failed = [v for v in verdicts if v.ok is not True]
    reason = f"{failed[0].name}: {failed[0].detail}" if failed else f"all {len(verdicts)} verdicts held"
    soak = directory / "soak.json"
    client = ""
    if soak.is_file():
        config = json.loads(soak.read_text())["config"]
        client = str(config.get("client", ""))
        if outcome == "fail" and config.get("leak"):  # the detector's positive control
            outcome, reason = "reproduced", f"a deliberate leak ({config['leak']}), caught: {reason}"
    title = scenario_title(directory.name, client).text
    return Row(outcome, title, directory.name, reason, f"{quote(directory.name)}/index.html", client)


def _group(directory: Path) -> Row:
    """A folder of scenario runs (an exploration's), with an index of its own."""
    search = _search(directory)
    about = RunAbout()
    if search is not None:
        about = RunAbout(f"Exploration of {search['client']}", search.get("seed"), (search["client"],))
    write_index(directory, about, nested=True)
    rows = _rows(directory)
    counts = Counter(r.outcome for r in rows)
    said = ", ".join(f"{n} {k}" for k, n in counts.most_common())
    reason = f"{len(rows)} runs ({said})"
    title = directory.name
    if search is not None:
        found = [f"found {f['invariant']} ({f['verdict']}): {f['example']}" for f in search.get("found", [])]
        reason = (
            "; ".join(found or ["found nothing"]) + f"; {search.get('runs')} runs in {search.get('took_s')} s"
        )
        title = about.kind
    started = min((r.started for r in rows if r.started), default=None)
    href = f"{quote(directory.name)}/index.html"
    return Row("group", title, directory.name, reason, href, "", started, None, True, dict(counts))


def _search(directory: Path) -> dict[str, Any] | None:
    """What an exploration's ``summary.json`` says, if the folder is one."""
    path = directory / "summary.json"
    if not path.is_file():
        return None
    body: dict[str, Any] = json.loads(path.read_text())
    return body if "found" in body and "client" in body else None


def _summary(run_dir: Path, about: RunAbout, rows: list[Row]) -> str:
    scenarios = [r for r in rows if not r.group]
    started = about.started or min((r.started for r in rows if r.started), default=None)
    ended = about.ended or max(((r.started or 0) + (r.took_s or 0) for r in scenarios), default=None)
    clients = about.clients or tuple(dict.fromkeys(r.client for r in scenarios if r.client))
    facts = [
        f"<b>{esc(time.strftime('%Y-%m-%d %H:%M', time.localtime(started)))}</b>" if started else "",
        f"client{'s' if len(clients) > 1 else ''} <b>{esc(', '.join(clients))}</b>" if clients else "",
        f"seed <b>{about.seed}</b>" if about.seed is not None else "",
        f"took <b>{_duration(ended - started)}</b>" if started and ended and ended > started else "",
    ]
    counts = Counter(r.outcome for r in scenarios)
    chips = (
        ""
        if not scenarios
        else ": "
        + " ".join(
            f'<span class="count{" none" * (not counts.get(k))}">{badge(k)} {counts.get(k, 0)}</span>'
            for k in OUTCOMES
        )
    )
    groups = len(rows) - len(scenarios)
    folders = f" and {_count(groups, 'folder')} of runs" if groups else ""
    command = f'<pre class="replay"><code>{esc(about.command)}</code></pre>' if about.command else ""
    return (
        f'<h1>{esc(about.kind)}</h1><div class="id">{esc(run_dir.name)}</div>'
        f'<p class="meta">{" &middot; ".join(f for f in facts if f)}</p>{command}'
        f'<p class="meta">{_count(len(scenarios), "scenario run")}{folders}{chips}</p>'
        f'<p class="muted">{_meanings()}</p>{_run_files(run_dir)}{_said(run_dir)}'
    )


def _said(run_dir: Path) -> str:
    """What the run printed at its end, when it kept it (an exploration's ``summary.txt``)."""
    path = run_dir / "summary.txt"
    if not path.is_file():
        return ""
    return f"<h2>What the run said</h2><pre>{esc(path.read_text().strip())}</pre>"


def _short(reason: str, most: int = 220) -> str:
    """The reason in a line or two: the page has the rest."""
    return reason if len(reason) <= most else reason[: most - 1].rstrip() + "\u2026"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def _meanings() -> str:
    return " &middot; ".join(f"{esc(k)}: {esc(o.meaning)}" for k, o in OUTCOMES.items())


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _run_files(run_dir: Path) -> str:
    """The run's own files, and those in its folders that are no scenario's (an exploration's
    ``found/``): each scenario's are on its page."""
    files = [p for p in run_dir.iterdir() if p.is_file() and p.name != "index.html"]
    for folder in (p for p in run_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        if not any(folder.glob("**/report.json")) and not (folder / "verdicts.json").is_file():
            files += [p for p in folder.rglob("*") if p.is_file()][:50]
    names = sorted(p.relative_to(run_dir).as_posix() for p in files)
    links = ", ".join(f'<a href="{quote(n)}">{esc(n)}</a>' for n in names)
    return f"<p>Files of the run: {links}</p>" if links else ""


def _table(rows: list[Row]) -> str:
    several = len({r.client for r in rows if r.client}) > 1
    body = "".join(_row(r, several) for r in rows)
    head = (
        '<tr><th style="width:9.5em">outcome</th><th style="width:45%">scenario</th>'
        '<th>why</th><th style="width:5.5em">took</th></tr>'
    )
    return f"<h2>Scenarios</h2><table>{head}{body}</table>"


def _row(r: Row, several_clients: bool) -> str:
    title = f'<a href="{r.href}">{esc(r.title)}</a>' if r.href else esc(r.title)
    client = f' <span class="muted">on {esc(r.client)}</span>' if several_clients and r.client else ""
    mark = '<span class="badge" style="background:#546e7a">RUNS</span>' if r.group else badge(r.outcome)
    took = f"{r.took_s:.1f} s" if r.took_s is not None else ""
    return (
        f'<tr class="{esc(r.outcome)}"><td>{mark}</td>'
        f'<td>{title}{client}<div class="id">{esc(r.name)}</div></td>'
        f"<td>{esc(_short(r.reason))}</td><td>{took}</td></tr>"
    )
