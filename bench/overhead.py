"""Per-trial overhead of the search machinery (ask + cost filter + tell), per strategy.

An 8-layer x 8-option synthetic space with an additive, instant cost and reward, so
the time measured is the strategy and runner, not training. Run:
    python bench/overhead.py
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

import layernas as ln
from layernas.problem import Problem

LAYERS, OPTIONS, BUDGET = 8, 8, 3000
rng = np.random.default_rng(0)
COSTS = rng.integers(1, 100, (LAYERS, OPTIONS)).astype(float)
REWARDS = rng.random((LAYERS, OPTIONS))
SPACE = ln.SearchSpace([ln.Layer(f"l{i}", list(range(OPTIONS))) for i in range(LAYERS)])


def cost(arch: tuple) -> float:
    return float(sum(COSTS[i, o] for i, o in enumerate(arch)))


def reward(arch: tuple) -> float:
    return float(sum(REWARDS[i, o] for i, o in enumerate(arch)))


def ask_tell(strategy: ln.Strategy, cost_range: tuple[float, float]) -> tuple[int, float]:
    """The strategy alone: trials and microseconds per trial of ask + tell."""
    problem = Problem(SPACE, cost, cost_range)
    strategy.setup(problem, seed=0)
    trials, start = 0, time.perf_counter()
    while trials < BUDGET and not strategy.finished:
        arch = strategy.ask()
        if arch is None:
            continue
        in_range = strategy.admits(arch, problem.cost(arch))
        strategy.tell(arch, reward(arch) if in_range else None)
        trials += in_range
    return trials, (time.perf_counter() - start) / max(trials, 1) * 1e6


def through_runner(strategy: ln.Strategy, cost_range: tuple[float, float],
                   journal: str | None = None) -> tuple[int, float]:
    """The whole runner (inline executor; optionally with a journal, which stores every
    trial and every computed cost): microseconds per trained candidate."""
    start = time.perf_counter()
    result = ln.search(SPACE, reward, cost, cost_range, strategy=strategy, budget=BUDGET,
                       journal=journal, progress=False)
    return result.trained, (time.perf_counter() - start) / max(result.trained, 1) * 1e6


def main() -> None:
    total = float(COSTS.max(axis=1).sum())
    cost_range = ln.MaxCostFraction(0.5).of(total)
    print(f"{LAYERS} layers x {OPTIONS} options, cost range {cost_range}, budget {BUDGET}")
    print(f"{'strategy':12} {'trials':>7} {'ask+tell us/trial':>18} {'search() us/trial':>18} "
          f"{'+ journal us/trial':>19}")
    with tempfile.TemporaryDirectory() as tmp:
        for make in (lambda: ln.LayerNAS(buckets=100, keep=1), ln.RandomSearch,
                     ln.RegularizedEvolution, ln.Reinforce, ln.PPO):
            n, us = ask_tell(make(), cost_range)
            _, us_run = through_runner(make(), cost_range)
            _, us_journal = through_runner(make(), cost_range, f"{tmp}/{make().name}.sqlite")
            print(f"{make().name:12} {n:>7} {us:>18.1f} {us_run:>18.1f} {us_journal:>19.1f}")


if __name__ == "__main__":
    main()
