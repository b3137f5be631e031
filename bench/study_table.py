"""Markdown tables for docs/benchmarks.md from `layernas study` output directories.

    python bench/study_table.py results out/table/*      # per setting and strategy
    python bench/study_table.py compact out/table/*      # one row per setting
    python bench/study_table.py ablation out/ablation/*  # per LayerNAS variant, over settings
    python bench/study_table.py anytime out/table/*      # per setting: regret at 50/100/.../budget
    python bench/study_table.py readme out/table/*       # per setting: regret at 50/100/300
    python bench/study_table.py wins LABEL out/table/*   # where LABEL is behind another strategy,
                                                         # with the sign test over paired runs
    python bench/study_table.py clock out/clock-*/*      # simulated clock: regret at equal time

Reads each directory's summary.json; numbers are printed as measured.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import statistics
import sys
from pathlib import Path

from layernas.study.statistics import sign_test


def load(dirs: list[str]) -> list[dict]:
    """Each directory's summary.json; studies of the same setting (benchmark, range, budget,
    noise, simulated workers) are merged into one, in the order given, and a strategy run
    with other ``runs`` than the first study of its setting is labelled with its runs."""
    merged: dict[tuple, dict] = {}
    for d in dirs:
        summary = json.loads((Path(d) / "summary.json").read_text())
        s = summary["setup"]
        key = (s["benchmark"], s["dataset"], tuple(s["target_range"]), s["budget"],
               s["reward_noise"], s.get("sim_workers"))
        for st in summary["strategies"].values():
            st["dir"] = d
        first = merged.setdefault(key, summary)
        if first is not summary:
            runs = first["setup"]["runs"]
            for label, st in summary["strategies"].items():
                shown = label if s["runs"] == runs else f"{label} ({s['runs']} runs)"
                first["strategies"][shown] = st
    return list(merged.values())


def setting(summary: dict) -> str:
    """"nats-sss cifar10 50%" (range from 0) or "... 30-32%" (a band); "params" when that is
    the cost."""
    s = summary["setup"]
    lo, hi = (x / s["max_cost"] for x in s["target_range"])
    share = f"{lo:.0%}-{hi:.0%}".replace("%-", "-") if lo > 0 else f"{hi:.0%}"
    cost = " params" if s.get("cost") == "params" else ""
    return f"{s['benchmark']} {s['dataset']} {share}{cost}"


def num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def results(summaries: list[dict]) -> None:
    print("| setting (max FLOPs) | oracle | strategy | median regret (IQR) | P(oracle) "
          "| trained median (max) |")
    print("|---|---|---|---|---|---|")
    for summary in summaries:
        oracle = summary["oracle"]["final"]
        for label, st in summary["strategies"].items():
            r = st["regret"]
            print(f"| {setting(summary)} | {oracle:.2f} | {label} | {num(r['median'])} "
                  f"({num(r['q25'])}-{num(r['q75'])}) | {st['p_oracle']:.2f} "
                  f"| {st['trained']['median']:.0f} ({st['trained_max']}) |")
    print()
    for summary in summaries:
        print(f"- {setting(summary)}: `{summary['setup']['command']}`")


def compact(summaries: list[dict]) -> None:
    """One row per setting: each strategy's median regret (P(oracle))."""
    labels = list(summaries[0]["strategies"])
    print("| setting (max FLOPs) | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for summary in summaries:
        cells = [f"{num(st['regret']['median'])} ({st['p_oracle']:.2f})"
                 for st in summary["strategies"].values()]
        print(f"| {setting(summary)} | " + " | ".join(cells) + " |")


def ablation(summaries: list[dict]) -> None:
    """Per variant and checkpoint: mean over settings of the median regret / mean P(oracle).

    The regret mean is over the settings where every variant has an answer at that checkpoint
    (their number is in the header), so all variants average the same settings.
    """
    labels = list(summaries[0]["strategies"])
    points = [c["trained"] for c in summaries[0]["strategies"][labels[0]]["anytime"]]
    at = [[[s["strategies"][label]["anytime"][i] for s in summaries] for i in range(len(points))]
          for label in labels]
    common = [
        [k for k in range(len(summaries))
         if all(at[v][i][k]["regret_median"] is not None for v in range(len(labels)))]
        for i in range(len(points))
    ]
    head = " | ".join(f"{n} trained ({len(c)})" for n, c in zip(points, common))
    print(f"| variant | {head} | trained, full run (median over settings) |")
    print("|---|" + "---|" * (len(points) + 1))
    for v, label in enumerate(labels):
        cells = []
        for i, keep in enumerate(common):
            regret = statistics.fmean(at[v][i][k]["regret_median"] for k in keep) if keep else None
            p = statistics.fmean(c["p_oracle"] for c in at[v][i])
            cells.append(f"{num(regret, 3)} / {p:.2f}")
        trained = statistics.median(s["strategies"][label]["trained"]["median"] for s in summaries)
        print(f"| {label} | " + " | ".join(cells) + f" | {trained:.0f} |")


ANYTIME = (50, 100, 200, 300)


def at_counts(st: dict, counts=ANYTIME) -> list[dict]:
    """The anytime checkpoints of a strategy's summary at ``counts`` trained (those present)."""
    by = {c["trained"]: c for c in st["anytime"]}
    return [by[n] for n in counts if n in by]


def labels_of(summaries: list[dict]) -> list[str]:
    """Every strategy label of the settings, in order of first appearance."""
    return list(dict.fromkeys(label for s in summaries for label in s["strategies"]))


def per_setting(summaries: list[dict], cell) -> None:
    """A table with a row per setting and a column per strategy (-: not run there)."""
    labels = labels_of(summaries)
    print("| setting | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for summary in summaries:
        cells = [cell(summary["strategies"][label]) if label in summary["strategies"] else "-"
                 for label in labels]
        print(f"| {setting(summary)} | " + " | ".join(cells) + " |")


def anytime(summaries: list[dict]) -> None:
    """Per setting and strategy: median regret at 50 / 100 / 200 / 300 trained, P(oracle) at
    the budget."""
    def cell(st: dict) -> str:
        points = at_counts(st)
        return " / ".join(num(c["regret_median"]) for c in points) + (
            f" ({points[-1]['p_oracle']:.2f})")
    per_setting(summaries, cell)


def readme(summaries: list[dict]) -> None:
    """The README's table: per setting and strategy, median regret at 50 / 100 / 300 trained."""
    per_setting(summaries, lambda st: " / ".join(
        num(c["regret_median"]) for c in at_counts(st, (50, 100, 300))))


@functools.cache
def curves(directory: str, label: str) -> dict[int, list[float]]:
    """Per run seed, the regret of the strategy's answer after 1, 2, ... trained, from the
    study's curves.csv (no answer yet: inf)."""
    out: dict[int, list[float]] = {}
    with open(Path(directory) / "curves.csv") as f:
        for row in csv.DictReader(f):
            if row["strategy"] == label:
                out.setdefault(int(row["seed"]), []).append(
                    float(row["regret"]) if row["regret"] else math.inf)
    return out


def paired_runs(st: dict, mine: dict, n: int) -> tuple[int, int, int]:
    """Runs (paired by seed: same benchmark draw and noise) where ``st``'s regret at ``n``
    trained is below / above / equal to ``mine``'s; a run that stopped earlier keeps its
    last answer, and a run that trained nothing (no rows in curves.csv) has no answer."""
    a, b = curves(st["dir"], st["label"]), curves(mine["dir"], mine["label"])
    seeds = a.keys() | b.keys()
    assert st["runs"] == mine["runs"] >= len(seeds), (
        "studies with other seeds or runs cannot be paired")
    for runs in (a, b):
        for seed in seeds:
            runs.setdefault(seed, [math.inf])
    at = {seed: (a[seed][min(n, len(a[seed])) - 1], b[seed][min(n, len(b[seed])) - 1])
          for seed in a}
    lower = sum(x < y for x, y in at.values())
    higher = sum(x > y for x, y in at.values())
    return lower, higher, len(at) - lower - higher


def wins(label: str, summaries: list[dict]) -> None:
    """Every (setting, checkpoint) where another strategy's median regret is below LABEL's,
    with the runs where it is below / above / equal and the sign test's p; then how many of
    these cells have p < 0.05, also after Holm's correction over every (setting, checkpoint,
    other strategy) compared, and in how many compared cells LABEL is ahead at p < 0.05."""
    behind, ahead, compared = [], 0, 0
    for summary in summaries:
        mine_st = summary["strategies"][label]
        mine = {c["trained"]: c["regret_median"] for c in mine_st["anytime"]}
        for other, st in summary["strategies"].items():
            if other == label:
                continue
            for c in st["anytime"]:
                n, theirs, ours = c["trained"], c["regret_median"], mine[c["trained"]]
                if n not in ANYTIME:
                    continue
                compared += 1
                lower, higher, equal = paired_runs(st, mine_st, n)
                p = sign_test(lower, higher)
                ahead += p < 0.05 and higher > lower
                if theirs is not None and (ours is None or theirs < ours - 1e-9):
                    behind.append(p)
                    print(f"- {setting(summary)} @{n}: {other} {num(theirs)} < {label} {num(ours)}"
                          f" (runs {lower} lower / {higher} higher / {equal} equal, p = {p:.2g})")
    ordered = sorted(behind)
    holm = 0
    while holm < len(ordered) and ordered[holm] < 0.05 / (compared - holm):
        holm += 1
    print(f"{len(behind)} of {compared} compared cells behind; p < 0.05 in "
          f"{sum(p < 0.05 for p in behind)}, after Holm's correction over the {compared}: {holm}. "
          f"{label} ahead at p < 0.05 in {ahead}.")


def clock(summaries: list[dict]) -> None:
    """Per setting, workers and strategy: regret at equal simulated time and utilisation."""
    print("| setting | workers | strategy | regret at t(50) / t(100) / t(300) | utilisation |")
    print("|---|---|---|---|---|")
    for summary in summaries:
        for label, st in summary["strategies"].items():
            c = st["clock"]
            points = [p for p in c["points"] if p["trained"] in (50, 100, 300)]
            print(f"| {setting(summary)} | {c['workers']} | {label} | "
                  + " / ".join(num(p["regret_median"]) for p in points)
                  + f" | {c['utilisation']['median']:.2f} |")


if __name__ == "__main__":
    if sys.argv[1] == "wins":
        wins(sys.argv[2], load(sys.argv[3:]))
    else:
        {"results": results, "compact": compact, "ablation": ablation, "anytime": anytime,
         "readme": readme, "clock": clock}[sys.argv[1]](load(sys.argv[2:]))
