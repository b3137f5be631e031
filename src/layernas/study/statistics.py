"""Statistics of a study, per strategy: final regret, reaching the oracle, counts.

Final regret of a run = the oracle's final metric minus the final metric of the architecture
the run returned (its best in-range candidate by observed reward); it is 0 exactly when the
run returned an architecture as good as the oracle ("reached the oracle"). A run that trained
no in-range candidate has infinite regret. Quartiles interpolate linearly between order
statistics; an interpolation that touches an infinite value is infinite.

Runs are paired across strategies: run r of every strategy has the same seed, so the same
benchmark draw and the same noisy table. Each strategy is compared with the study's first
strategy run by run (:class:`Paired`), with an exact sign test over the runs that differ.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from layernas.study.curves import quantile_columns, regret_at_times, regret_matrix
from layernas.study.running import RunRecord, StudyResult
from layernas.study.simclock import DurationModel

REACHED_TOL = 1e-9  # regret at or below this counts as reaching the oracle
CHECKPOINT_FRACTIONS = (0.1, 0.3, 0.5, 1.0)  # of the budget, for the anytime table
CHECKPOINT_COUNTS = (50, 100, 200)  # trained candidates, also in the anytime table


@dataclass(frozen=True)
class Spread:
    """Median, quartiles and mean of a sample (``inf`` where an infinite value enters)."""

    median: float
    q25: float
    q75: float
    mean: float

    @property
    def iqr(self) -> float:
        return self.q75 - self.q25


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (see :func:`layernas.study.curves.quantile_columns`)."""
    return float(quantile_columns(np.asarray(values, dtype=float)[:, None], q)[0])


def spread(values: Sequence[float]) -> Spread:
    return Spread(
        median=quantile(values, 0.5),
        q25=quantile(values, 0.25),
        q75=quantile(values, 0.75),
        mean=math.fsum(values) / len(values),
    )


def regret(record: RunRecord, oracle_final: float) -> float:
    """Final regret of one run (``inf`` without an in-range answer)."""
    return math.inf if record.best_final is None else oracle_final - record.best_final


def trained_to_oracle(record: RunRecord, oracle_final: float) -> int | None:
    """Trained candidates after which the run's answer first reached the oracle, if ever."""
    for step, final in zip(record.steps, record.step_finals):
        if oracle_final - final <= REACHED_TOL:
            return step
    return None


@dataclass(frozen=True)
class Checkpoint:
    """Median regret and P(oracle) over runs once ``trained`` candidates are trained."""

    trained: int
    regret_median: float
    p_oracle: float


def checkpoint_counts(budget: int) -> list[int]:
    """Trained counts of the anytime view: fractions of the budget, and 50, 100 and 200."""
    fixed = {n for n in CHECKPOINT_COUNTS if n < budget}
    return sorted({max(1, round(f * budget)) for f in CHECKPOINT_FRACTIONS} | fixed)


def checkpoints(records: list[RunRecord], oracle_final: float, budget: int) -> list[Checkpoint]:
    """The anytime view at fixed fractions of the budget (equal trained candidates)."""
    matrix = regret_matrix(records, oracle_final, budget)
    medians = quantile_columns(matrix, 0.5)
    reached = (matrix <= REACHED_TOL).mean(axis=0)
    at = checkpoint_counts(budget)
    return [Checkpoint(n, float(medians[n - 1]), float(reached[n - 1])) for n in at]


@dataclass(frozen=True)
class Paired:
    """A strategy against the reference (the study's first strategy) at ``trained`` trained
    candidates, run by run: runs where its regret is lower (``better``), higher (``worse``)
    or the same (``tied``), and the sign test's p-value (:func:`sign_test`)."""

    trained: int
    better: int
    worse: int
    tied: int
    p_value: float


def sign_test(better: int, worse: int) -> float:
    """Exact two-sided sign test of ``better`` against ``worse`` paired runs, ties left out
    (1.0 when every run ties): how likely a split at least this uneven is if either strategy
    is as likely to be the better one in a run."""
    from scipy.stats import binomtest  # here: importing scipy.stats costs every CLI call 0.4 s

    n = better + worse
    return 1.0 if n == 0 else float(binomtest(better, n, 0.5).pvalue)


def paired(records: list[RunRecord], reference: list[RunRecord], oracle_final: float,
           budget: int) -> list[Paired]:
    """``records`` against ``reference`` at the anytime view's trained counts, runs paired by
    their run number."""
    mine = regret_matrix(sorted(records, key=lambda r: r.run), oracle_final, budget)
    theirs = regret_matrix(sorted(reference, key=lambda r: r.run), oracle_final, budget)
    out = []
    for n in checkpoint_counts(budget):
        a, b = mine[:, n - 1], theirs[:, n - 1]
        better, worse = int((a < b).sum()), int((a > b).sum())
        out.append(Paired(n, better, worse, len(a) - better - worse, sign_test(better, worse)))
    return out


@dataclass(frozen=True)
class ClockPoint:
    """Median regret and P(oracle) at simulated ``time``: the time ``trained`` average
    in-range candidates take on the study's workers when they are never idle."""

    trained: int
    time: float
    regret_median: float
    p_oracle: float


@dataclass(frozen=True)
class Clock:
    """A strategy under the simulated clock: utilisation and regret at equal time."""

    workers: int
    utilisation: Spread
    makespan: Spread
    points: list[ClockPoint]


def clock_points(records: list[RunRecord], oracle_final: float, unit: float,
                 counts: list[int]) -> list[ClockPoint]:
    """Regret at ``n * unit`` for each ``n`` in ``counts``."""
    times = np.array([n * unit for n in counts])
    matrix = regret_at_times(records, oracle_final, times)
    medians = quantile_columns(matrix, 0.5)
    reached = (matrix <= REACHED_TOL).mean(axis=0)
    return [
        ClockPoint(n, float(t), float(m), float(p))
        for n, t, m, p in zip(counts, times, medians, reached)
    ]


def clock_unit(result: StudyResult) -> float:
    """Simulated time per trained candidate on fully busy workers: the mean duration of an
    in-range architecture over the number of workers."""
    _, costs, _ = result.bench._known()
    lo, hi = result.cost_range
    inside = costs[(costs >= lo) & (costs <= hi)]
    return DurationModel(result.bench, 0).mean(inside) / result.spec.sim_workers


@dataclass(frozen=True)
class StrategySummary:
    """One strategy's results over all runs of a study."""

    label: str
    config: dict[str, Any]
    runs: int
    regret: Spread
    p_oracle: float
    no_answer: int
    trained: Spread
    trained_max: int
    rejected_mean: float
    reused_mean: float
    to_oracle_median: float | None
    bound: int | None
    stop_reasons: dict[str, int]
    anytime: list[Checkpoint]
    clock: Clock | None = None
    paired: list[Paired] | None = None  # against the study's first strategy (None: it)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["regret"]["iqr"] = self.regret.iqr
        return data


def summarize(result: StudyResult) -> list[StrategySummary]:
    """Per strategy, in the spec's order."""
    oracle = result.oracle.final
    reference = result.spec.strategies[0].label
    out = []
    for spec in result.spec.strategies:
        records = result.of(spec.label)
        regrets = [regret(r, oracle) for r in records]
        reached = [s for r in records if (s := trained_to_oracle(r, oracle)) is not None]
        out.append(
            StrategySummary(
                label=spec.label,
                config=spec.build().config(),
                runs=len(records),
                regret=spread(regrets),
                p_oracle=sum(r <= REACHED_TOL for r in regrets) / len(records),
                no_answer=sum(r.best_final is None for r in records),
                trained=spread([float(r.trained) for r in records]),
                trained_max=max(r.trained for r in records),
                rejected_mean=sum(r.rejected for r in records) / len(records),
                reused_mean=sum(r.reused for r in records) / len(records),
                to_oracle_median=quantile(reached, 0.5) if reached else None,
                bound=records[0].bound,
                stop_reasons=dict(Counter(_reason(r.stop_reason) for r in records)),
                anytime=checkpoints(records, oracle, result.spec.budget),
                clock=_clock(result, records),
                paired=None if spec.label == reference else paired(
                    records, result.of(reference), oracle, result.spec.budget
                ),
            )
        )
    return out


def _clock(result: StudyResult, records: list[RunRecord]) -> Clock | None:
    workers = result.spec.sim_workers
    if workers is None:
        return None
    return Clock(
        workers=workers,
        utilisation=spread([r.utilisation for r in records]),
        makespan=spread([r.makespan for r in records]),
        points=clock_points(records, result.oracle.final, clock_unit(result),
                            checkpoint_counts(result.spec.budget)),
    )


def _reason(text: str) -> str:
    """The stop reason without its run-specific numbers ("stalled: 1001 proposals..." -> "stalled")."""
    return text.split(":")[0]
