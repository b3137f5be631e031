"""Plain data for the report pages, built from a search journal or a study directory.

Everything here is JSON-ready (lists, dicts, numbers, strings), so the static report and the
live dashboard draw the same numbers: :func:`search_data` reads a journal through
:func:`layernas.journal.read_journal`, :func:`study_data` reads a study's ``summary.json`` and
``curves.csv`` (written by :mod:`layernas.study.report`). Only the drawing lives elsewhere
(:mod:`layernas.report.charts`).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from layernas.errors import LayerNASError
from layernas.journal import JournalRow, JournalView, read_journal
from layernas.strategies import make
from layernas.study.curves import quantile_columns
from layernas.study.report import CURVES_CSV, SUMMARY_JSON

#: How the README names strategies (LayerNAS gets its H, and K when it is not 1).
STRATEGY_NAMES = {"layernas-tr": "LayerNAS-TR", "random": "random", "evolution": "evolution",
                  "reinforce": "REINFORCE", "ppo": "PPO", "exhaustive": "exhaustive"}


@dataclass(frozen=True)
class Units:
    """Units of a search's cost and reward, e.g. "MAdds" and "accuracy %" ("": unknown)."""

    cost: str = ""
    reward: str = ""


def axis(name: str, unit: str) -> str:
    """``name (unit)``, or ``name`` when the unit is unknown."""
    return f"{name} ({unit})" if unit else name


def strategy_name(config: dict[str, Any]) -> str:
    """The README's name of a strategy configuration, e.g. ``LayerNAS H=100``."""
    name = config.get("strategy", "?")
    if name == "layernas":
        keep = config.get("keep", 1)
        return f"LayerNAS H={config.get('buckets')}" + (f" K={keep}" if keep != 1 else "")
    return STRATEGY_NAMES.get(name, str(name))


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


# -- a search -------------------------------------------------------------------------------

def search_data(path: str | Path, given: Units = Units()) -> dict[str, Any]:
    """Everything the search page shows, read from the journal at ``path``; ``given`` units
    win over those the journal recorded."""
    view = read_journal(path)
    recorded = view.units
    units = Units(given.cost or recorded.get("cost", ""), given.reward or recorded.get("reward", ""))
    fp = view.fingerprint
    names = [layer["name"] for layer in fp["space"]]
    lo, hi = view.cost_range
    archs = [json.loads(t.arch) for t in view.trials]
    best = view.best()
    counts: dict[str, int] = {}
    for t in view.trials:
        counts[t.status] = counts.get(t.status, 0) + 1
    return {
        "kind": "search",
        "title": Path(path).name,
        "units": {"cost": units.cost, "reward": units.reward},
        "layers": names,
        "cost_range": [lo, hi],
        "counts": counts,
        "bound": strategy_bound(fp),
        "strategy": strategy_name(fp["strategy"]),
        "trials": {
            "number": [t.number for t in view.trials],
            "arch": [label(names, a) for a in archs],
            "cost": [t.cost for t in view.trials],
            "reward": [t.reward for t in view.trials],
            "status": [t.status for t in view.trials],
            "duration": [t.duration for t in view.trials],
        },
        "best": None if best is None else _trial(best, names),
        "pareto": pareto_front(view.trials),
        "anytime": anytime(view.trials, (lo, hi)),
        "kept": kept_tables(view, archs, names),
        "failures": [
            {**_trial(t, names), "attempts": t.attempts, "error": t.error or ""}
            for t in view.trials if t.status == "failed"
        ],
        "settings": settings(view),
    }


def label(names: list[str], arch: list[Any]) -> str:
    """``arch`` with its layer names: ``bun=brioche, patty=beef``."""
    return ", ".join(f"{n}={v}" for n, v in zip(names, arch))


def _trial(t: JournalRow, names: list[str]) -> dict[str, Any]:
    return {"number": t.number, "arch": label(names, json.loads(t.arch)), "cost": t.cost,
            "reward": t.reward, "duration": t.duration}


def strategy_bound(fingerprint: dict[str, Any]) -> int | None:
    """The strategy's bound on trained candidates for this space (LayerNAS's), if it has one."""
    config = dict(fingerprint["strategy"])
    try:
        strategy = make(config.pop("strategy", None), **config)
    except LayerNASError:  # a strategy this installation does not have: no bound shown
        return None
    if not hasattr(strategy, "bound_for"):
        return None
    return strategy.bound_for([len(layer["options"]) for layer in fingerprint["space"]])


def pareto_front(trials: list[JournalRow]) -> list[int]:
    """Trial numbers on the cost-reward Pareto front (no other trial is cheaper and better),
    cheapest first."""
    ok = sorted((t for t in trials if t.status == "ok"), key=lambda t: (t.cost, -t.reward))
    front, top = [], -math.inf
    for t in ok:
        if t.reward > top:
            front.append(t.number)
            top = t.reward
    return front


def anytime(trials: list[JournalRow], cost_range: tuple[float, float]) -> dict[str, Any]:
    """Best in-range reward vs finished trials (in trial order), as the steps of the curve:
    ``trained[i]`` is when the best became ``best[i]``; ``total`` finished trials in all."""
    lo, hi = cost_range
    best, xs, ys, n = -math.inf, [], [], 0
    for t in trials:
        if t.status == "running":
            continue
        n += 1
        if t.status == "ok" and lo <= t.cost <= hi and t.reward > best:
            best = t.reward
            xs.append(n)
            ys.append(best)
    return {"trained": xs, "best": ys, "total": n}


def kept_tables(view: JournalView, archs: list[list], names: list[str]) -> list[dict[str, Any]]:
    """The strategy's snapshot as one table per ``table`` number, each row marked with the
    number of trained children it has in the next table's layer (its prefix up to its layer,
    one option changed at the next layer, the rest equal)."""
    tables: dict[int, list] = {}
    for row in view.kept:
        tables.setdefault(row.table, []).append(row)
    out = []
    for table, rows in sorted(tables.items()):
        nxt = table + 1
        children: dict[tuple, int] = {}
        if nxt < len(names):
            for arch in archs:
                key = _without(arch, nxt)
                children[key] = children.get(key, 0) + 1
        parsed = [json.loads(r.arch) for r in rows]
        out.append({
            "table": table,
            "layer": names[table] if table < len(names) else str(table),
            "rank": [r.rank for r in rows],
            "arch": [label(names, a) for a in parsed],
            "cost": [r.cost for r in rows],
            "reward": [r.reward for r in rows],
            "bucket": [list(r.bucket) if r.bucket else None for r in rows],
            "round": [r.round for r in rows],
            # the parent itself is one of the architectures with that key: not its own child
            "children": [max(children.get(_without(a, nxt), 0) - 1, 0) for a in parsed],
        })
    return out


def _without(arch: list, i: int) -> str:
    """``arch`` without layer ``i``, as a hashable key."""
    return json.dumps(arch[:i] + arch[i + 1:])


def settings(view: JournalView) -> list[tuple[str, str]]:
    """The search's settings as (name, value) rows: space, strategy, seed, range, cost."""
    fp = view.fingerprint
    lo, hi = view.cost_range
    rows = [
        ("strategy", json.dumps(fp["strategy"])),
        ("seed", str(fp["seed"])),
        ("target cost range", f"[{lo:g}, {hi:g}]"),
        ("cost function", fp["cost"] if isinstance(fp["cost"], str)
         else "computed (fingerprinted by its values on the cheapest, priciest and default "
              f"architectures: {fp['cost']})"),
    ]
    for key in sorted(k for k in fp if k not in {"strategy", "seed", "cost_range", "cost", "space"}):
        rows.append((key, json.dumps(fp[key])))
    if "planned" in view.meta:
        rows.append(("planned trials (budget, or what the strategy had left)", view.meta["planned"]))
    rows.append(("ended", view.stopped or "not recorded: running, or killed"))
    versions = json.loads(view.meta.get("versions", "{}"))
    rows.append(("versions (of the last process that wrote the journal)",
                 ", ".join(f"{k} {v}" for k, v in versions.items()) or "not recorded"))
    size = math.prod(len(layer["options"]) for layer in fp["space"])
    rows.append(("space", f"{len(fp['space'])} layers, {size:,} architectures"))
    rows += [
        (f"layer {layer['name']}", ", ".join(map(str, layer["options"]))
         + ("" if layer.get("default") is None else f" (default {layer['default']})"))
        for layer in fp["space"]
    ]
    return rows


# -- a study --------------------------------------------------------------------------------

def study_data(directory: str | Path) -> dict[str, Any]:
    """Everything the study page shows, read from a ``layernas study --out`` directory."""
    directory = Path(directory)
    summary_path, curves_path = directory / SUMMARY_JSON, directory / CURVES_CSV
    if not summary_path.is_file() or not curves_path.is_file():
        raise LayerNASError(
            f"{directory} is not a study directory (it needs {SUMMARY_JSON} and {CURVES_CSV}, "
            "written by 'layernas study --out DIR')"
        )
    summary = json.loads(summary_path.read_text())
    setup, oracle = summary["setup"], summary["oracle"]["final"]
    budget = int(setup["budget"])
    runs = _read_curves(curves_path)
    strategies = []
    for label, stats in summary["strategies"].items():
        matrix = _regret_matrix(runs.get(label, {}), budget)
        bands = {q: quantile_columns(matrix, q) for q in (0.25, 0.5, 0.75)}
        strategies.append({
            "label": label,
            "name": strategy_name(stats["config"]),
            "stats": stats,
            # final metric = oracle - regret: the regret's 75% quantile is the metric's 25%
            "median": [_finite(oracle - v) for v in bands[0.5]],
            "low": [_finite(oracle - v) for v in bands[0.75]],
            "high": [_finite(oracle - v) for v in bands[0.25]],
            "final_regret": [_finite(v) for v in matrix[:, -1]],
        })
    _unique_names(strategies)
    return {
        "kind": "study",
        "title": f"{setup['benchmark']} {setup.get('dataset') or ''}".strip(),
        "setup": setup,
        "oracle": summary["oracle"],
        "budget": budget,
        "strategies": strategies,
    }


def _read_curves(path: Path) -> dict[str, dict[int, list[float | None]]]:
    """curves.csv as strategy -> run -> regret after n = 1, 2, ... trained (None: no answer)."""
    runs: dict[str, dict[int, list[float | None]]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            curve = runs.setdefault(row["strategy"], {}).setdefault(int(row["run"]), [])
            curve.append(float(row["regret"]) if row["regret"] else None)
    return runs


def _regret_matrix(runs: dict[int, list[float | None]], budget: int) -> np.ndarray:
    """Runs x budget regrets; a run that stopped early keeps its last answer (as the study's
    curves do), ``inf`` before a run's first answer."""
    matrix = np.full((max(len(runs), 1), budget), np.inf)
    for row, curve in zip(matrix, runs.values()):
        values = np.array([np.inf if v is None else v for v in curve[:budget]], dtype=float)
        row[: len(values)] = values
        if len(values):
            row[len(values):] = values[-1]
    return matrix


def _unique_names(strategies: list[dict[str, Any]]) -> None:
    names = [s["name"] for s in strategies]
    for s in strategies:
        if names.count(s["name"]) > 1:
            s["name"] = f"{s['name']} ({s['label']})"
