"""Interactive charts of a search or a study (plotly, the optional ``report`` extra).

Each function turns the plain data of :mod:`layernas.report.data` into one
``plotly.graph_objects.Figure``; :func:`search_figures` and :func:`study_figures` give every
chart of a page by the id of the ``<div>`` it is drawn in. Scatters of many points use WebGL
(``scattergl``) so that 20,000 trials still draw at once.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from layernas.report.data import axis

#: Above this many points a scatter is drawn with WebGL.
WEBGL_FROM = 1000
COLORS = qualitative.Plotly
RANGE_FILL = "rgba(44, 160, 44, 0.12)"


def _scatter(n: int, **kwargs: Any) -> go.Scatter | go.Scattergl:
    return (go.Scattergl if n > WEBGL_FROM else go.Scatter)(**kwargs)


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 460) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 15}}, height=height,
                      template="plotly_white", margin={"l": 70, "r": 30, "t": 60, "b": 60},
                      legend={"orientation": "h", "y": -0.18}, hoverlabel={"align": "left"})
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    return fig


def _esc(values: list[Any]) -> list[str]:
    return [html.escape(str(v)) for v in values]


# -- a search -------------------------------------------------------------------------------

def search_figures(data: dict[str, Any]) -> dict[str, go.Figure]:
    """Every chart of the search page by div id."""
    figures = {"cost-reward": cost_reward(data), "anytime": anytime(data)}
    if data["kept"]:
        figures["kept"] = kept(data)
    return figures


def cost_reward(data: dict[str, Any]) -> go.Figure:
    """Every trained candidate at (cost, reward); range shaded, Pareto front, winner."""
    t, units = data["trials"], data["units"]
    lo, hi = data["cost_range"]
    fig = go.Figure()
    for name, inside, color in (("in target range", True, COLORS[0]),
                                ("outside target range", False, "#9a9a9a")):
        rows = [i for i, s in enumerate(t["status"])
                if s == "ok" and (lo <= t["cost"][i] <= hi) == inside]
        fig.add_trace(_scatter(
            len(rows), name=f"{name} ({len(rows)})", mode="markers",
            marker={"color": color, "size": 6, "opacity": 0.75},
            **_points(t, rows, units, "ok"),
        ))
    failed = [i for i, s in enumerate(t["status"]) if s == "failed"]
    if failed:  # no reward: drawn as a rug on a hidden axis at the bottom
        fig.add_trace(go.Scatter(
            name=f"failed, no reward ({len(failed)})", mode="markers", yaxis="y2",
            x=[t["cost"][i] for i in failed], y=[0.02] * len(failed),
            marker={"symbol": "x", "color": "#d62728", "size": 9},
            customdata=[[t["number"][i], html.escape(t["arch"][i]), _secs(t["duration"][i])]
                        for i in failed],
            hovertemplate=("<b>trial #%{customdata[0]} failed</b><br>%{customdata[1]}<br>cost "
                           f"%{{x:,.6g}} {units['cost']}<br>duration %{{customdata[2]}}"
                           "<extra></extra>"),
        ))
        fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 1], "visible": False})
    by_number = {n: i for i, n in enumerate(t["number"])}
    front = [by_number[n] for n in data["pareto"]]
    fig.add_trace(go.Scatter(
        name=f"Pareto front ({len(front)})", mode="lines", line_shape="hv",
        x=[t["cost"][i] for i in front], y=[t["reward"][i] for i in front],
        line={"color": "#ff7f0e", "width": 1.5}, hoverinfo="skip",
    ))
    best = data["best"]
    if best is not None:
        fig.add_trace(go.Scatter(
            name=f"winner #{best['number']}", mode="markers",
            marker={"symbol": "star", "size": 18, "color": "#e6b800",
                    "line": {"color": "black", "width": 1}},
            **_points(t, [t["number"].index(best["number"])], units, "ok, the best in range"),
        ))
    fig.add_vrect(x0=lo, x1=hi, fillcolor=RANGE_FILL, line_width=0, layer="below",
                  annotation_text="target range", annotation_position="top left")
    return _layout(fig, f"Cost vs reward of {len(t['number'])} trials",
                   axis("cost", units["cost"]), axis("reward", units["reward"]))


def _points(t: dict[str, list], rows: list[int], units: dict[str, str],
            status: str) -> dict[str, Any]:
    """Coordinates and hover of the trials at ``rows`` (numbers as typed arrays: compact)."""
    return {
        "x": np.array([t["cost"][i] for i in rows], dtype=float),
        "y": np.array([t["reward"][i] for i in rows], dtype=float),
        "text": [html.escape(t["arch"][i]) for i in rows],
        "customdata": np.array([[t["number"][i], np.nan if t["duration"][i] is None
                                 else t["duration"][i]] for i in rows], dtype=float),
        "hovertemplate": (
            "<b>trial #%{customdata[0]:d}</b><br>%{text}<br>cost %{x:,.6g} "
            f"{units['cost']}<br>reward %{{y:.6g}} {units['reward']}<br>"
            f"duration %{{customdata[1]:.3g}} s<br>status {status}<extra></extra>"),
    }


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g} s"


def anytime(data: dict[str, Any]) -> go.Figure:
    """Best in-range reward after each finished trial, with the strategy's bound."""
    a, units, bound = data["anytime"], data["units"], data["bound"]
    n = a["total"]
    xs, ys = list(a["trained"]), list(a["best"])
    if xs:  # held flat to the last finished trial
        xs.append(n)
        ys.append(ys[-1])
    fig = go.Figure(go.Scatter(
        name=f"best in range ({data['strategy']})", mode="lines+markers", line_shape="hv",
        x=xs, y=ys, line={"color": COLORS[0], "width": 2}, marker={"size": 5},
        hovertemplate=f"after %{{x}} trained: %{{y:.6g}} {units['reward']}<extra></extra>",
    ))
    title = "Anytime: best in-range reward vs candidates trained"
    if bound is not None:
        fig.add_vline(x=bound, line_dash="dash", line_color="black",
                      annotation_text=f"bound {bound:,}", annotation_position="top left")
        if bound > 2 * max(n, 1):  # do not squash the curve into the axis' first pixels
            fig.update_xaxes(range=[0, max(n, 1) * 1.05])
            title += f" (bound {bound:,}, off the axis)"
    return _layout(fig, title, "candidates trained", axis("best in-range reward", units["reward"]),
                   height=380)


def kept(data: dict[str, Any]) -> go.Figure:
    """Per table (LayerNAS: per layer), the kept candidates over their cost buckets; filled
    markers are parents of the next layer's trained children."""
    tables, units = data["kept"], data["units"]
    lo, hi = data["cost_range"]
    fig = make_subplots(rows=len(tables), cols=1, shared_xaxes=True, vertical_spacing=0.25 / len(tables),
                        subplot_titles=[f"{k['layer']}: {len(k['rank'])} kept" for k in tables])
    legend: set[bool] = set()
    for row, k in enumerate(tables, start=1):
        for parent in (True, False):
            idx = [i for i, c in enumerate(k["children"]) if (c > 0) == parent]
            if not idx:
                continue
            spans = [k["bucket"][i] or [k["cost"][i], k["cost"][i]] for i in idx]
            fig.add_trace(_scatter(
                len(idx),
                name="parent of next layer's children" if parent else "kept, no trained child",
                legendgroup=str(parent), showlegend=parent not in legend, mode="markers",
                x=[k["cost"][i] for i in idx], y=[k["reward"][i] for i in idx],
                error_x={"type": "data", "symmetric": False, "thickness": 1, "width": 0,
                         "array": [s[1] - k["cost"][i] for s, i in zip(spans, idx)],
                         "arrayminus": [k["cost"][i] - s[0] for s, i in zip(spans, idx)]},
                marker={"color": COLORS[2] if parent else "white", "size": 8,
                        "line": {"color": COLORS[2], "width": 1.5}},
                customdata=[[k["rank"][i], span(k["bucket"][i]), html.escape(k["arch"][i]),
                             k["round"][i], k["children"][i]] for i in idx],
                hovertemplate=(
                    f"<b>{html.escape(k['layer'])}, rank %{{customdata[0]}}</b><br>"
                    f"bucket %{{customdata[1]}} {units['cost']}<br>%{{customdata[2]}}<br>"
                    f"cost %{{x:,.6g}} {units['cost']}<br>reward %{{y:.6g}} {units['reward']}"
                    "<br>pass %{customdata[3]}; trained children in the next layer: "
                    "%{customdata[4]}<extra></extra>"),
            ), row=row, col=1)
            legend.add(parent)
        fig.add_vrect(x0=lo, x1=hi, fillcolor=RANGE_FILL, line_width=0, layer="below",
                      row=row, col=1)
        fig.update_yaxes(title_text=axis("reward", units["reward"]), row=row, col=1)
    _layout(fig, "Kept by the strategy per layer (LayerNAS: memorial tables)", "", "",
            height=140 + 190 * len(tables))
    fig.update_xaxes(title_text=axis("cost", units["cost"]) + "; bars: the kept candidate's bucket",
                     row=len(tables), col=1)
    fig.update_layout(legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1,
                              "xanchor": "right"})
    return fig


def span(bucket: list[float] | None) -> str:
    return "-" if bucket is None else f"[{bucket[0]:,.6g}, {bucket[1]:,.6g})"


# -- a study --------------------------------------------------------------------------------

def study_figures(data: dict[str, Any]) -> dict[str, go.Figure]:
    """Every chart of the study page by div id."""
    return {"study-anytime": study_anytime(data), "study-regret": study_regret(data)}


def _study_title(data: dict[str, Any]) -> str:
    s = data["setup"]
    lo, hi = s["target_range"]
    return (f"{data['title']}: {s['cost']} in [{lo:.4g}, {hi:.4g}] {s['units']}, "
            f"{s['runs']} runs, budget {data['budget']}")


def study_anytime(data: dict[str, Any]) -> go.Figure:
    """Per strategy, the best-so-far final metric: median over runs and 25-75% band."""
    fig = go.Figure()
    n = list(range(1, data["budget"] + 1))
    metric = data["setup"]["metric"]
    for color, s in zip(_cycle(len(data["strategies"])), data["strategies"]):
        band = [i for i in range(len(n)) if s["low"][i] is not None and s["high"][i] is not None]
        fig.add_trace(go.Scatter(x=[n[i] for i in band], y=[s["low"][i] for i in band],
                                 mode="lines", line={"width": 0}, legendgroup=s["label"],
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=[n[i] for i in band], y=[s["high"][i] for i in band], mode="lines",
            line={"width": 0}, fill="tonexty", fillcolor=_alpha(color, 0.18),
            legendgroup=s["label"], showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            name=s["name"], x=n, y=s["median"], mode="lines", legendgroup=s["label"],
            line={"color": color, "width": 2},
            customdata=[[lo, hi] for lo, hi in zip(s["low"], s["high"])],
            hovertemplate=(f"{html.escape(s['name'])}, %{{x}} trained: median %{{y:.4f}} "
                           "(IQR %{customdata[0]:.4f}-%{customdata[1]:.4f})<extra></extra>")))
    oracle = data["oracle"]["final"]
    fig.add_hline(y=oracle, line_dash="dash", line_color="black",
                  annotation_text=f"oracle {oracle:.2f}", annotation_position="bottom right")
    _layout(fig, "Anytime, median and interquartile band over runs. " + _study_title(data),
            "candidates trained", f"best-so-far {metric}")
    lows = [v for s in data["strategies"] for v in s["low"][len(n) // 10:] if v is not None]
    if lows:
        bottom = min(lows)
        margin = max(0.05 * (oracle - bottom), 0.05)
        fig.update_yaxes(range=[bottom - margin, oracle + margin])
    return fig


def study_regret(data: dict[str, Any]) -> go.Figure:
    """Final regret of every run per strategy (box with the runs as points)."""
    fig = go.Figure()
    for color, s in zip(_cycle(len(data["strategies"])), data["strategies"]):
        values = [v for v in s["final_regret"] if v is not None]
        missing = len(s["final_regret"]) - len(values)
        name = f"{s['name']}<br>P(oracle)={s['stats']['p_oracle']:.2f}" + (
            f"<br>{missing} without answer" if missing else "")
        fig.add_trace(go.Box(y=values, name=name, boxpoints="all", showlegend=False, jitter=0.4, pointpos=0,
                             marker={"color": color, "size": 5, "opacity": 0.6},
                             line={"color": color}, hovertemplate="regret %{y:.4f}<extra></extra>"))
    return _layout(fig, "Final regret per run. " + _study_title(data), "strategy",
                   f"final regret ({data['setup']['metric']}, points)")


def _cycle(n: int) -> list[str]:
    return [COLORS[i % len(COLORS)] for i in range(n)]


def _alpha(color: str, alpha: float) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"
