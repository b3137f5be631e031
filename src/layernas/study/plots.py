"""PNG plots of a study (matplotlib, the optional ``plot`` extra, imported only to draw).

Plain data is built first (:func:`anytime_series`, :func:`regret_samples`), then drawn:

- ``anytime.png``: per strategy, the final metric of the best-so-far answer vs trained
  candidates, median line with a 25-75% band over runs, and the oracle as a dashed line;
- ``anytime_clock.png`` (with a simulated clock): the same against simulated time;
- ``regret.png``: the distribution of final regret per strategy (box with the runs as points),
  with the probability of reaching the oracle in the labels.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from layernas.study.curves import quantile_columns, regret_at_times, regret_bands
from layernas.study.running import StudyResult
from layernas.study.statistics import regret, summarize

ANYTIME_PNG = "anytime.png"
REGRET_PNG = "regret.png"
CLOCK_PNG = "anytime_clock.png"


def available() -> bool:
    """Whether matplotlib is installed (``pip install 'layernas[plot]'``)."""
    return importlib.util.find_spec("matplotlib") is not None


@dataclass(frozen=True)
class Series:
    """One strategy's anytime curve in the final metric: median and 25-75% band."""

    label: str
    n: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray


def anytime_series(result: StudyResult) -> list[Series]:
    """Final metric = oracle - regret, so the regret's 75% quantile is the metric's 25%."""
    oracle = result.oracle.final
    return [
        Series(label, band.n, oracle - band.median, oracle - band.q75, oracle - band.q25)
        for label, band in regret_bands(result).items()
    ]


def time_series(result: StudyResult, points: int = 300) -> list[Series]:
    """Under the simulated clock: the final metric of the answer vs simulated time."""
    oracle = result.oracle.final
    end = max(r.makespan or 0.0 for r in result.records)
    times = np.linspace(end / points, end, points)
    out = []
    for label in result.labels:
        matrix = regret_at_times(result.of(label), oracle, times)
        out.append(
            Series(
                label,
                times,
                oracle - quantile_columns(matrix, 0.5),
                oracle - quantile_columns(matrix, 0.75),
                oracle - quantile_columns(matrix, 0.25),
            )
        )
    return out


def regret_samples(result: StudyResult) -> dict[str, list[float]]:
    """Per strategy, the final regret of every run (``inf`` where a run had no answer)."""
    return {
        label: [regret(r, result.oracle.final) for r in result.of(label)]
        for label in result.labels
    }


def _title(result: StudyResult) -> str:
    bench, (lo, hi) = result.bench, result.cost_range
    return (
        f"{bench.name} {bench.dataset}: {bench.cost_name} in [{lo:.4g}, {hi:.4g}] "
        f"{bench.units}, {result.spec.runs} runs"
    )


def draw_anytime(result: StudyResult, path: Path, clock: bool = False) -> None:
    """The anytime curves against trained candidates (or, with ``clock``, simulated time)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = time_series(result) if clock else anytime_series(result)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for s in series:
        shown = np.isfinite(s.median)
        (line,) = ax.plot(s.n[shown], s.median[shown], label=s.label, lw=1.8)
        band = np.isfinite(s.low) & np.isfinite(s.high)
        ax.fill_between(
            s.n[band], s.low[band], s.high[band], color=line.get_color(), alpha=0.2, lw=0
        )
    oracle = result.oracle.final
    ax.axhline(oracle, color="black", ls="--", lw=1, label=f"oracle {oracle:.2f}")
    ax.set_ylim(*_ylim(series, oracle))
    if clock:
        ax.set_xlim(0, series[0].n[-1])
        ax.set_xlabel(f"simulated time, {result.spec.sim_workers} workers "
                      "(1 = training the largest model)")
    else:
        ax.set_xlim(1, result.spec.budget)
        ax.set_xlabel("trained candidates")
    ax.set_ylabel(f"best-so-far {result.bench.metric}")
    ax.set_title(_title(result), fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _ylim(series: list[Series], oracle: float) -> tuple[float, float]:
    """From the lowest 25% value once a tenth of the budget is spent, up to the oracle."""
    start = len(series[0].n) // 10
    lows = [
        float(np.min(s.low[start:][np.isfinite(s.low[start:])]))
        for s in series
        if np.isfinite(s.low[start:]).any()
    ]
    bottom = min(lows, default=oracle - 1.0)
    margin = max(0.05 * (oracle - bottom), 0.05)
    return bottom - margin, oracle + margin


def draw_regret(result: StudyResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = regret_samples(result)
    labels = list(samples)
    p_oracle = {s.label: s.p_oracle for s in summarize(result)}
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(labels) + 2), 4.5), dpi=120)
    jitter = np.random.default_rng(0)
    for i, label in enumerate(labels):
        finite = [v for v in samples[label] if math.isfinite(v)]
        if finite:
            ax.boxplot([finite], positions=[i], widths=0.5, showfliers=False)
            ax.scatter(i + jitter.uniform(-0.18, 0.18, len(finite)), finite, s=8, alpha=0.5)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(
        [f"{label}\nP(oracle)={p_oracle[label]:.2f}" for label in labels], fontsize=8
    )
    ax.set_ylabel(f"final regret ({result.bench.metric}, points)")
    ax.set_title(_title(result) + f", budget {result.spec.budget}", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_all(result: StudyResult, out: Path) -> list[Path]:
    """Both PNGs under ``out``; the paths written."""
    paths = [out / ANYTIME_PNG, out / REGRET_PNG]
    draw_anytime(result, paths[0])
    draw_regret(result, paths[1])
    if result.spec.sim_workers is not None:
        paths.append(out / CLOCK_PNG)
        draw_anytime(result, paths[-1], clock=True)
    return paths
