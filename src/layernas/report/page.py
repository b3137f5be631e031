"""One HTML page of a search or a study: tables as HTML, charts as plotly JSON.

:func:`render` gives the page's parts (HTML fragments by element id, figures by div id);
:func:`html_page` puts them in one self-contained document with plotly.js inlined (no network
at view time). The live dashboard serves the same page with ``live=True``: it then polls
``api/page`` and redraws with ``Plotly.react`` when the journal changed.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plotly.offline import get_plotlyjs

from layernas.report import charts
from layernas.report.data import Units, axis, search_data, study_data

#: Above this many kept rows the page shows them in the chart only, not also as tables.
KEPT_TABLE_ROWS = 1000
#: Chart divs of each page kind, in page order (a chart without data is hidden).
CHARTS = {"search": ["cost-reward", "anytime", "kept"], "study": ["study-anytime", "study-regret"]}


@dataclass(frozen=True)
class Rendered:
    """A page's parts: HTML fragments by element id and plotly figures (JSON) by div id."""

    kind: str
    title: str
    sections: dict[str, str]
    figures: dict[str, str]

    def json(self, stamp: str | None = None) -> str:
        """The parts as one JSON object (the dashboard's ``api/page`` answer, with the
        ``stamp`` of the journal state they show)."""
        figures = ", ".join(f"{json.dumps(k)}: {v}" for k, v in self.figures.items())
        return (f'{{"sections": {json.dumps(self.sections)}, "figures": {{{figures}}}, '
                f'"stamp": {json.dumps(stamp)}}}')


def load(path: str | Path, units: Units = Units()) -> dict[str, Any]:
    """The plain data of a journal file or a study directory."""
    path = Path(path)
    return study_data(path) if path.is_dir() else search_data(path, units)


def render(data: dict[str, Any]) -> Rendered:
    """The parts of the page for ``data`` (from :func:`load`)."""
    if data["kind"] == "study":
        figures, sections = charts.study_figures(data), _study_sections(data)
    else:
        figures, sections = charts.search_figures(data), _search_sections(data)
    return Rendered(data["kind"], data["title"], sections,
                    {name: fig.to_json() for name, fig in figures.items()})


def write_report(path: str | Path, out: str | Path, units: Units = Units()) -> Path:
    """Write the report of the journal or study directory ``path`` to the HTML file ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html_page(render(load(path, units))), encoding="utf-8")
    return out


# -- HTML -----------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if isinstance(c, _Raw) else html.escape(str(c))}</td>" for c in r)
        + "</tr>" for r in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class _Raw(str):
    """HTML that is already escaped."""


def _num(value: float | None, fmt: str = ".6g") -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, fmt)


def _search_sections(data: dict[str, Any]) -> dict[str, str]:
    units, counts, best = data["units"], data["counts"], data["best"]
    trained = sum(n for s, n in counts.items() if s != "running")
    lo, hi = data["cost_range"]
    facts = [
        f'<b>{data["strategy"]}</b>, target cost range [{lo:g}, {hi:g}] {html.escape(units["cost"])}',
        f'<span id="trial-count">{trained}</span> trials finished ('
        + ", ".join(f"{n} {html.escape(s)}" for s, n in sorted(counts.items())) + ")"
        if counts else '<span id="trial-count">0</span> trials finished',
    ]
    if data["bound"] is not None:
        facts.append(f"the strategy's bound: {data['bound']:,} trained candidates")
    facts.append(
        "best in range: none yet" if best is None else
        f"best in range: trial #{best['number']}, reward {_num(best['reward'])} "
        f"{html.escape(units['reward'])}, cost {_num(best['cost'])} {html.escape(units['cost'])}"
        f" &mdash; <code>{html.escape(best['arch'])}</code>"
    )
    failures = data["failures"]
    failed = (
        "<p>No trial failed.</p>" if not failures else _table(
            ["trial", "architecture", "cost", "attempts", "error"],
            [[f["number"], f["arch"], _num(f["cost"]), f["attempts"],
              _Raw(f"<pre>{html.escape(f['error'])}</pre>")] for f in failures], "failures")
    )
    rows = sum(len(k["rank"]) for k in data["kept"])
    if rows > KEPT_TABLE_ROWS:
        kept = (f"<p>{rows:,} kept rows: hover the chart for each, or list them with "
                "<code>layernas show JOURNAL</code>.</p>")
    else:
        kept = "".join(
            f"<h3>{html.escape(k['layer'])}</h3>" + _table(
                ["rank", axis("bucket", units["cost"]), "architecture", axis("cost", units["cost"]),
                 axis("reward", units["reward"]), "pass", "trained children in next layer"],
                [[k["rank"][i], charts.span(k["bucket"][i]), k["arch"][i], _num(k["cost"][i]),
                  _num(k["reward"][i]), k["round"][i], k["children"][i]]
                 for i in range(len(k["rank"]))], "kept")
            for k in data["kept"]
        )
        kept = kept and f"<details><summary>Kept rows as tables</summary>{kept}</details>"
    return {
        "summary": "<ul>" + "".join(f"<li>{f}</li>" for f in facts) + "</ul>",
        "failures": failed,
        "kept-tables": kept,
        "settings": _table(["setting", "value"], [list(r) for r in data["settings"]], "settings"),
    }


def _study_sections(data: dict[str, Any]) -> dict[str, str]:
    setup, oracle = data["setup"], data["oracle"]
    lo, hi = setup["target_range"]
    rows = []
    for s in data["strategies"]:
        st, r = s["stats"], s["stats"]["regret"]
        rows.append([
            s["name"], f"{_num(r['median'], '.2f')} ({_num(r['q25'], '.2f')}-{_num(r['q75'], '.2f')})",
            _num(r["mean"], ".2f"), f"{st['p_oracle']:.2f}",
            f"{st['trained']['median']:.0f} ({st['trained_max']})",
            _num(st["to_oracle_median"], ".0f"), f"{st['rejected_mean']:.0f}",
            "-" if st["bound"] is None else f"{st['bound']:,}",
            ", ".join(f"{n} {why}" for why, n in st["stop_reasons"].items()),
        ])
    facts = [
        ("benchmark", f"{setup['benchmark']} {setup.get('dataset') or ''} ({setup['source']}, "
                      f"{setup['license']})"),
        ("metric", setup["metric"]),
        ("cost", f"{setup['cost']} in {setup['units']}; target range [{lo:.6g}, {hi:.6g}] = "
                 f"{hi / setup['max_cost']:.0%} of the largest model's {setup['max_cost']:.6g}"),
        ("oracle", f"{tuple(oracle['arch'])}, {oracle['final']:.4f}, cost {oracle['cost']:.6g}"),
        ("runs", f"{setup['runs']} per strategy, seed {setup['seed']}, budget {setup['budget']} "
                 "trained candidates per run"),
        ("reward noise", str(setup.get("reward_noise") or "none")),
        ("strategies", "; ".join(f"{s['name']} = {json.dumps(s['stats']['config'])}"
                                 for s in data["strategies"])),
        ("command", setup.get("command") or "-"),
        ("versions", ", ".join(f"{k} {v}" for k, v in setup["versions"].items())),
        ("wall time", f"{setup['seconds']} s"),
    ]
    return {
        "summary": _table(
            ["strategy", "final regret median (IQR)", "mean", "P(oracle)", "trained median (max)",
             "to oracle (median)", "rejected (mean)", "bound", "stopped by"], rows, "summary"),
        "settings": _table(["setting", "value"], [list(f) for f in facts], "settings"),
    }


SECTIONS = {
    "search": [("Summary", "summary"), (None, "cost-reward"), (None, "anytime"),
               ("Kept by the strategy", "kept"), (None, "kept-tables"), ("Failures", "failures"),
               ("Search settings", "settings")],
    "study": [("Results", "summary"), (None, "study-anytime"), (None, "study-regret"),
              ("Setup", "settings")],
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; } h3 { font-size: 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } pre { margin: 0; white-space: pre-wrap; max-width: 60em; }
.chart { min-height: 300px; } #live { color: #666; font-size: 0.85em; }
"""

SCRIPT = """
const PARTS = JSON.parse(document.getElementById("page-parts").textContent);
function show(parts) {
  for (const [id, text] of Object.entries(parts.sections)) {
    const el = document.getElementById(id); if (el) el.innerHTML = text;
  }
  const drawn = [];
  for (const el of document.querySelectorAll(".chart")) {
    const fig = parts.figures[el.id];
    el.style.display = fig ? "" : "none";
    if (fig) drawn.push(Plotly.react(el, fig.data, fig.layout, {responsive: true}));
  }
  return Promise.all(drawn);
}
// ms from navigation start until every chart is drawn (read by tests and bench/report_scale.py)
show(PARTS).then(() => { window.layernasRendered = performance.now(); });
"""

LIVE = """
let stamp = null;
async function poll() {
  try {
    const answer = await fetch("api/page" + (stamp ? "?stamp=" + encodeURIComponent(stamp) : ""));
    if (answer.status === 200) { const parts = await answer.json(); stamp = parts.stamp; show(parts); }
    document.getElementById("live").textContent = "live: updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("live").textContent = "live: dashboard unreachable (" + e + ")";
  }
  setTimeout(poll, POLL_MS);
}
setTimeout(poll, POLL_MS);
"""


def html_page(parts: Rendered, live: bool = False, poll_ms: int = 2000,
              stamp: str | None = None) -> str:
    """The page as one HTML document with plotly.js inlined."""
    body = []
    for heading, part in SECTIONS[parts.kind]:
        if heading:
            body.append(f"<h2>{heading}</h2>")
        cls = ' class="chart"' if part in CHARTS[parts.kind] else ""
        body.append(f'<div id="{part}"{cls}></div>')
    script = SCRIPT + (LIVE.replace("POLL_MS", str(poll_ms)) if live else "")
    what = "Search" if parts.kind == "search" else "Study"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{what} {html.escape(parts.title)} - layernas</title>",
        f"<style>{STYLE}</style>",
        f"<script>{get_plotlyjs()}</script>",
        "</head><body>",
        f"<h1>{what}: {html.escape(parts.title)}</h1>",
        '<p id="live"></p>' if live else "",
        *body,
        f'<script type="application/json" id="page-parts">{_script_safe(parts.json(stamp))}</script>',
        f"<script>{script}</script>",
        "</body></html>",
    ])


def _script_safe(text: str) -> str:
    """JSON that cannot close the ``<script>`` element it sits in."""
    return text.replace("</", "<\\/")
