"""Synthetic problems for tests: additive (cost and reward are sums of per-layer values)
and interacting ones. Callables are picklable classes so process pools can run them."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

import layernas as ln


@dataclass(frozen=True)
class Table:
    """Per-layer, per-option values; the architecture's value is their sum (+ interaction)."""

    values: tuple[tuple[float, ...], ...]
    interaction: float = 0.0
    sleep: float = 0.0

    def __call__(self, arch: tuple) -> float:
        if self.sleep:
            # deterministic but arch-dependent duration, so workers finish out of order
            time.sleep(self.sleep * (1 + (hash(arch) % 5)))
        total = sum(row[o] for row, o in zip(self.values, arch))
        if self.interaction:
            total += self.interaction * np.sin(sum((i + 1) * o for i, o in enumerate(arch)))
        return float(total)


def additive(seed: int, layers: int = 4, options: int = 4, interaction: float = 0.0):
    """A random problem: space, integer costs, real rewards, and a range holding the middle."""
    rng = np.random.default_rng(seed)
    space = ln.SearchSpace([ln.Layer(f"l{i}", list(range(options))) for i in range(layers)])
    cost = Table(tuple(tuple(float(c) for c in rng.integers(1, 10, options)) for _ in range(layers)))
    reward = Table(
        tuple(tuple(float(r) for r in rng.random(options)) for _ in range(layers)), interaction
    )
    costs = sorted(cost(a) for a in space)
    lo, hi = costs[len(costs) // 4], costs[len(costs) // 2]
    return space, cost, reward, (lo, hi)


def brute_force(space, cost, reward, cost_range):
    lo, hi = cost_range
    inside = [a for a in itertools.product(*(l.options for l in space.layers)) if lo <= cost(a) <= hi]
    return max(reward(a) for a in inside)


def batches_told_shuffled(strategy, space, cost, reward, cost_range, shuffle_seed):
    """Run ``strategy`` by hand: ask until it waits, tell the batch back in a shuffled order.

    Returns the batches as proposed and the final snapshot."""
    import random

    from layernas.problem import Problem

    strategy.setup(Problem(space, cost, cost_range), seed=0)
    shuffler, proposals = random.Random(shuffle_seed), []
    while not strategy.finished:
        batch = []
        while (arch := strategy.ask()) is not None:
            batch.append(arch)
        proposals.append(list(batch))
        shuffler.shuffle(batch)
        for arch in batch:
            strategy.tell(arch, reward(arch))
    return proposals, strategy.snapshot()


def summary(result):
    """What must be equal between two runs of one search: the trials in order, the answer,
    the rejections and why it stopped."""
    return [(t.number, t.arch, t.cost, t.reward, t.status) for t in result.trials], (
        result.best and result.best.arch, result.rejected, result.stop_reason)
