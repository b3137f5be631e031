"""Writing a study to a directory: summary.json, curves.csv, report.md and the PNG plots.

- ``summary.json``: the setup (spec, benchmark, range, versions, data checksums), the oracle,
  and per strategy the statistics of :mod:`layernas.study.statistics` (infinite values, from
  runs without an in-range answer, are written as null).
- ``curves.csv``: one row per run and number of trained candidates (see
  :func:`layernas.study.curves.csv_rows`).
- ``report.md``: the setup written out, the results table and the plots.
- ``anytime.png``, ``regret.png``: see :mod:`layernas.study.plots` (skipped, with a note in
  the report, when matplotlib is not installed).
"""

from __future__ import annotations

import csv
import json
import math
import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from layernas.study import plots
from layernas.study.curves import CSV_COLUMNS, csv_rows
from layernas.study.running import StudyResult
from layernas.study.simclock import JITTER, OVERHEAD
from layernas.study.statistics import StrategySummary, summarize

SUMMARY_JSON = "summary.json"
CURVES_CSV = "curves.csv"
REPORT_MD = "report.md"


@dataclass(frozen=True)
class Setup:
    """The facts a reader needs to interpret and reproduce a study."""

    data: dict[str, Any]

    @classmethod
    def of(cls, result: StudyResult, command: str | None) -> Setup:
        bench = result.bench
        return cls(
            {
                **result.spec.describe(),
                "command": command,
                "metric": bench.metric,
                "units": bench.units,
                "target_range": list(result.cost_range),
                "max_cost": bench.max_cost,
                "source": bench.source,
                "license": bench.license,
                "data_checksums": dict(bench.checksums),
                "versions": versions(),
                "seconds": round(result.seconds, 2),
            }
        )


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    out = {"python": platform.python_version()}
    for package in ("layernas", "numpy", "matplotlib"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def write_report(result: StudyResult, out: Path, command: str | None = None) -> list[Path]:
    """Write every output of ``result`` under ``out`` (created if needed); the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    setup = Setup.of(result, command)
    summaries = summarize(result)
    written = [
        _write_summary(result, setup, summaries, out / SUMMARY_JSON),
        _write_curves(result, out / CURVES_CSV),
    ]
    pngs = plots.draw_all(result, out) if plots.available() else []
    written.append(_write_markdown(result, setup, summaries, pngs, out / REPORT_MD))
    return written + pngs


def _write_summary(
    result: StudyResult, setup: Setup, summaries: list[StrategySummary], path: Path
) -> Path:
    oracle = result.oracle
    data = {
        "setup": setup.data,
        "oracle": {"arch": list(oracle.arch), "final": oracle.final, "cost": oracle.cost},
        "strategies": {s.label: s.as_dict() for s in summaries},
    }
    path.write_text(json.dumps(_finite(data), indent=2) + "\n")
    return path


def _finite(value: Any) -> Any:
    """``value`` with infinite floats replaced by None (strict JSON has no infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _write_curves(result: StudyResult, path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(result))
    return path


def _num(value: float | None, digits: int = 2) -> str:
    if value is None or math.isinf(value):
        return "n/a"
    return f"{value:.{digits}f}"


def results_table(summaries: list[StrategySummary]) -> list[str]:
    """The final results as a markdown table (one row per strategy)."""
    lines = [
        (
            "| strategy | final regret median (IQR) | mean | P(oracle) | trained median (max) "
            "| to oracle (median) | rejected (mean) | bound |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        r = s.regret
        lines.append(
            f"| {s.label} | {_num(r.median)} ({_num(r.q25)}-{_num(r.q75)}) | {_num(r.mean)} "
            f"| {s.p_oracle:.2f} | {s.trained.median:.0f} ({s.trained_max}) "
            f"| {_num(s.to_oracle_median, 0)} | {s.rejected_mean:.0f} "
            f"| {s.bound if s.bound is not None else '-'} |"
        )
    return lines


def anytime_table(summaries: list[StrategySummary]) -> list[str]:
    """Median regret and P(oracle) at equal numbers of trained candidates."""
    points = [c.trained for c in summaries[0].anytime]
    lines = [
        "| strategy | " + " | ".join(f"{n} trained" for n in points) + " |",
        "|---|" + "---|" * len(points),
    ]
    for s in summaries:
        cells = [f"{_num(c.regret_median)} ({c.p_oracle:.2f})" for c in s.anytime]
        lines.append(f"| {s.label} | " + " | ".join(cells) + " |")
    return lines


def paired_table(summaries: list[StrategySummary]) -> list[str]:
    """Each strategy against the first, run by run, at equal numbers of trained candidates."""
    points = [c.trained for c in summaries[0].anytime]
    lines = [
        "| strategy | " + " | ".join(f"{n} trained" for n in points) + " |",
        "|---|" + "---|" * len(points),
    ]
    for s in summaries[1:]:
        assert s.paired is not None
        cells = [f"{p.better} / {p.worse} / {p.tied} ({p.p_value:.2g})" for p in s.paired]
        lines.append(f"| {s.label} | " + " | ".join(cells) + " |")
    return lines


def _paired_lines(summaries: list[StrategySummary]) -> list[str]:
    if len(summaries) < 2:
        return []
    first = summaries[0].label
    return [
        f"### Paired against `{first}`: runs better / worse / tied (sign test p)",
        "",
        (
            f"Run r of every strategy has the same seed (benchmark draw and reward noise), so "
            f"runs are paired: better = runs whose regret is below `{first}`'s in the same run. "
            "p: exact two-sided sign test over the runs that differ (scipy's binomtest), one "
            "cell at a time, with no correction for the number of cells."
        ),
        "",
        *paired_table(summaries),
        "",
    ]


def clock_table(summaries: list[StrategySummary]) -> list[str]:
    """Under the simulated clock: regret at equal simulated time, and worker utilisation."""
    clock = summaries[0].clock
    assert clock is not None
    lines = [
        "| strategy | "
        + " | ".join(f"t = {p.time:.4g} ({p.trained})" for p in clock.points)
        + " | utilisation median (IQR) | makespan median |",
        "|---|" + "---|" * (len(clock.points) + 2),
    ]
    for s in summaries:
        c = s.clock
        assert c is not None
        cells = [f"{_num(p.regret_median)} ({p.p_oracle:.2f})" for p in c.points]
        u = c.utilisation
        lines.append(
            f"| {s.label} | " + " | ".join(cells)
            + f" | {u.median:.2f} ({u.q25:.2f}-{u.q75:.2f}) | {c.makespan.median:.4g} |"
        )
    return lines


def _clock_lines(result: StudyResult, summaries: list[StrategySummary]) -> list[str]:
    if result.spec.sim_workers is None:
        return []
    return [
        f"### Simulated clock: {result.spec.sim_workers} workers",
        "",
        (
            "Each search ran as that many workers would, in virtual time: a trial takes "
            f"({OVERHEAD} + its FLOPs / the largest model's) x lognormal jitter (sigma {JITTER}), "
            "workers take the runner's proposals as they free up, and a strategy waiting at a "
            "barrier leaves them idle. Cell: median regret (P(oracle)) at simulated time t, the "
            "time the number of trained candidates in brackets takes on fully busy workers "
            "(average in-range candidate). Utilisation: busy worker-time / (workers x the time "
            "the last trial ends)."
        ),
        "",
        *clock_table(summaries),
        "",
    ]


def _share(lo: float, hi: float, max_cost: float) -> str:
    """"50%" for a range from 0, "30%-32%" for a band."""
    return f"{lo / max_cost:.0%}-{hi / max_cost:.0%}" if lo > 0 else f"{hi / max_cost:.0%}"


def _setup_lines(result: StudyResult, setup: Setup, summaries: list[StrategySummary]) -> list[str]:
    d = setup.data
    spec, bench, oracle = result.spec, result.bench, result.oracle
    lo, hi = result.cost_range
    noise = f"Gaussian, sigma {spec.reward_noise} points" if spec.reward_noise else "none"
    checksums = ", ".join(f"`{name}` sha256 `{sha}`" for name, sha in d["data_checksums"].items())
    strategies = "; ".join(f"`{s.label}` = `{json.dumps(s.config)}`" for s in summaries)
    return [
        f"- benchmark: {bench.name}, dataset {bench.dataset} ({bench.source}, {bench.license})",
        f"- metric: {bench.metric}; regret is measured on it, returned architecture vs oracle",
        (
            f"- cost: {bench.cost_name} in {bench.units}; target range [{lo:.6g}, {hi:.6g}] = "
            f"{_share(lo, hi, bench.max_cost)} of the largest model's {bench.max_cost:.6g}"
        ),
        f"- oracle: {tuple(oracle.arch)}, {oracle.final:.4f}, cost {oracle.cost:.6g}",
        (
            f"- runs: {spec.runs} per strategy; seed {spec.seed}, run r seeded by "
            "`numpy.random.SeedSequence([seed, r])` (strategy, reward draw and noise)"
        ),
        (
            f"- budget: {spec.budget} trained candidates per run for every strategy; rejected "
            "(out-of-range) and repeated candidates are free; a run that stops below the budget "
            f"keeps its answer; a run stops after {spec.max_stall} proposals in a row without a "
            "new trained candidate"
        ),
        f"- reward noise: {noise}",
        f"- strategies: {strategies}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in d["versions"].items()),
        f"- data checksums: {checksums or 'n/a'}",
        f"- wall time: {d['seconds']} s",
    ]


def _write_markdown(
    result: StudyResult,
    setup: Setup,
    summaries: list[StrategySummary],
    pngs: list[Path],
    path: Path,
) -> Path:
    command = setup.data["command"]
    stops = "; ".join(
        f"{s.label}: " + ", ".join(f"{n} {why}" for why, n in s.stop_reasons.items())
        for s in summaries
    )
    lines = [
        f"# Study: {result.bench.name} {result.bench.dataset}",
        "",
        *([f"Reproduce: `{command}`", ""] if command else []),
        "## Setup",
        *_setup_lines(result, setup, summaries),
        "",
        "## Results",
        "",
        *results_table(summaries),
        "",
        (
            "Regret in points of the metric (n/a: at least that share of runs found nothing in "
            "range); IQR = 25th-75th percentile over runs; P(oracle) = share of runs that returned "
            "an architecture as good as the oracle; to oracle = trained candidates when the answer "
            "first reached it (runs that did); bound = LayerNAS's bound on trained candidates."
        ),
        "",
        f"Runs stopped by: {stops}.",
        "",
        "### Anytime: median regret (P(oracle)) at equal numbers of trained candidates",
        "",
        *anytime_table(summaries),
        "",
        "`curves.csv` holds every run's best-so-far answer vs trained candidates.",
        "",
        *_paired_lines(summaries),
        *_clock_lines(result, summaries),
    ]
    if pngs:
        lines += [f"![{p.stem}]({p.name})" for p in pngs] + [""]
    else:
        lines += [
            "Plots skipped: matplotlib is not installed (`pip install 'layernas[plot]'`).",
            "",
        ]
    path.write_text("\n".join(lines))
    return path
