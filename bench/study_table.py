"""Markdown tables for docs/benchmarks.md from `layernas study` output directories.

    python bench/study_table.py results out/table/*      # per setting and strategy
    python bench/study_table.py compact out/table/*      # one row per setting
    python bench/study_table.py ablation out/ablation/*  # per LayerNAS variant, over settings

Reads each directory's summary.json; numbers are printed as measured.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def load(dirs: list[str]) -> list[dict]:
    return [json.loads((Path(d) / "summary.json").read_text()) for d in dirs]


def setting(summary: dict) -> str:
    s = summary["setup"]
    share = s["target_range"][1] / s["max_cost"]
    return f"{s['benchmark']} {s['dataset']} {share:.0%}"


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


if __name__ == "__main__":
    {"results": results, "compact": compact, "ablation": ablation}[sys.argv[1]](load(sys.argv[2:]))
