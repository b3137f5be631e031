"""An Optuna study written as Optuna's documentation teaches, searching the NATS-Bench size
table with LayerNASSampler; the integration tests run it in-process and as killed or parallel
processes (``python optuna_search.py STORAGE STUDY LOG [SLEEP]``).

Every training appends ``pid arch`` to LOG before it returns, so a test sees what was trained,
by which process, even when the process is killed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import optuna

import layernas as ln
from layernas.integrations.optuna import LayerNASSampler, suggest_arch

BENCH = ln.benchmarks.load("nats-sss", dataset="cifar10")
RANGE = (0.0, 0.25 * BENCH.max_cost)
STRATEGY = {"buckets": 3, "keep": 1}  # trains 21 candidates, then finishes


def sampler(**options) -> LayerNASSampler:
    return LayerNASSampler(BENCH.space, cost=BENCH.cost, cost_range=RANGE,
                           strategy=ln.LayerNAS(**STRATEGY), seed=0, **options)


def serial() -> ln.SearchResult:
    """The answer ln.search gives for the same strategy and seed."""
    return ln.search(BENCH.space, BENCH.reward, BENCH.cost, RANGE,
                     strategy=ln.LayerNAS(**STRATEGY), seed=0, progress=False)


def objective(log: str | None = None, sleep: float = 0.0):
    def train(trial: optuna.Trial) -> float:
        arch = suggest_arch(trial, BENCH.space)
        time.sleep(sleep)
        if log is not None:
            with open(log, "a") as f:
                f.write(f"{os.getpid()} {json.dumps(arch)}\n")
        return BENCH.reward(arch)

    return train


def trainings(log: str) -> list[tuple[int, tuple]]:
    """(pid, architecture) of every training LOG records, in order."""
    lines = Path(log).read_text().splitlines() if Path(log).exists() else []
    return [(int(pid), tuple(json.loads(arch))) for pid, arch in
            (line.split(" ", 1) for line in lines)]


def completed(study: optuna.Study) -> list[tuple]:
    """The architectures of the study's completed trials, in trial-number order."""
    return [tuple(t.params[layer.name] for layer in BENCH.space.layers)
            for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))]


def main(storage: str, name: str, log: str, sleep: float) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler())
    study.optimize(objective(log, sleep), n_trials=200)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
