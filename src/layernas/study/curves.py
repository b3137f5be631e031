"""Anytime curves: the best-so-far answer of every run vs the number of trained candidates.

At ``n`` trained candidates a run's answer is its best in-range candidate so far (by observed
reward); its regret is the oracle's final metric minus the answer's final metric (``inf``
before the first in-range candidate). A run that stopped below the budget keeps its last
answer, so its curve stays flat up to the budget. Bands are per-``n`` quartiles over runs,
computed like :func:`layernas.study.statistics.quantile`, so the band at the budget equals
the final-regret statistics of the summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from layernas.study.running import RunRecord, StudyResult

CSV_COLUMNS = ("strategy", "run", "seed", "trained", "best_reward", "best_final", "regret")


@dataclass(frozen=True)
class Band:
    """Per-``n`` regret quartiles of one strategy, for n = 1..budget (``n``)."""

    n: np.ndarray
    median: np.ndarray
    q25: np.ndarray
    q75: np.ndarray


def step_index(record: RunRecord, budget: int) -> np.ndarray:
    """For n = 1..budget, the index into ``record.steps`` of the answer at n (-1: none yet)."""
    return (
        np.searchsorted(np.asarray(record.steps, dtype=int), np.arange(1, budget + 1), side="right")
        - 1
    )


def regret_matrix(records: list[RunRecord], oracle_final: float, budget: int) -> np.ndarray:
    """Runs x budget regrets of the best-so-far answers (``inf`` before the first one)."""
    matrix = np.full((len(records), budget), np.inf)
    for row, record in zip(matrix, records):
        at = step_index(record, budget)
        has = at >= 0
        row[has] = oracle_final - np.asarray(record.step_finals)[at[has]]
    return matrix


def regret_at_times(records: list[RunRecord], oracle_final: float, times: np.ndarray) -> np.ndarray:
    """Runs x times regrets of the answers at simulated ``times`` (``inf`` before the first)."""
    matrix = np.full((len(records), len(times)), np.inf)
    for row, record in zip(matrix, records):
        at = np.searchsorted(np.asarray(record.times, dtype=float), times, side="right") - 1
        has = at >= 0
        row[has] = oracle_final - np.asarray(record.time_finals)[at[has]]
    return matrix


def quantile_columns(matrix: np.ndarray, q: float) -> np.ndarray:
    """Per-column ``q`` quantile, linear between order statistics, ``inf`` if one enters."""
    ordered = np.sort(matrix, axis=0)
    position = q * (len(ordered) - 1)
    below, above = ordered[int(np.floor(position))], ordered[int(np.ceil(position))]
    with np.errstate(invalid="ignore"):
        value = below + (above - below) * (position - np.floor(position))
    return np.where(np.isinf(above), np.inf, value)


def regret_bands(result: StudyResult) -> dict[str, Band]:
    """Regret median and 25-75% band per strategy label."""
    budget = result.spec.budget
    bands = {}
    for label in result.labels:
        matrix = regret_matrix(result.of(label), result.oracle.final, budget)
        bands[label] = Band(
            n=np.arange(1, budget + 1),
            median=quantile_columns(matrix, 0.5),
            q25=quantile_columns(matrix, 0.25),
            q75=quantile_columns(matrix, 0.75),
        )
    return bands


def csv_rows(result: StudyResult) -> Iterator[tuple]:
    """Rows of curves.csv: every run at n = 1..(its trained count); blanks before an answer."""
    oracle = result.oracle.final
    for record in result.records:
        at = step_index(record, record.trained)
        for n, j in enumerate(at, start=1):
            if j < 0:
                yield (record.strategy, record.run, record.seed, n, "", "", "")
            else:
                final = record.step_finals[j]
                yield (
                    record.strategy,
                    record.run,
                    record.seed,
                    n,
                    record.step_rewards[j],
                    final,
                    oracle - final,
                )
