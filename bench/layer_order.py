"""Does the order of the layers matter? One strategy on a benchmark as given and with its layers
listed last to first.

Runs the strategy as `layernas study` runs it (same run seeds and benchmark draw, no noise),
once on the benchmark's space and once on the same space reversed (every architecture is
reversed back before its reward and cost are read, so the problem is the same), and prints
the median regret at 30 / 50 / 100 / 200 / 300 trained for each. Run:
    python bench/layer_order.py --benchmark nas-bench-macro --max-cost-fraction 0.65 --runs 10
"""

from __future__ import annotations

import argparse
import statistics

import layernas as ln
from layernas.benchmarks import load
from layernas.space import Arch, SearchSpace
from layernas.study import run_seed
from layernas.study.spec import StrategySpec, parse_benchmark

CHECKPOINTS = (30, 50, 100, 200, 300)


def regrets(bench, space: SearchSpace, back, cost_range, spec: StrategySpec, seed: int,
            budget: int) -> dict[int, float]:
    """Regret of the best in-range trained candidate after each checkpoint's trainings."""
    oracle = bench.oracle(cost_range)
    result = ln.search(space, lambda a: bench.reward(back(a)), lambda a: bench.cost(back(a)),
                       cost_range, strategy=spec.build(), budget=budget, seed=seed,
                       progress=False)
    best, out = None, {}
    for n, trial in enumerate(result.trials, 1):
        in_range = trial.reward is not None and cost_range[0] <= trial.cost <= cost_range[1]
        if in_range and (best is None or trial.reward > best.reward):
            best = trial
        if n in CHECKPOINTS and best is not None:
            out[n] = oracle.final - bench.final(back(best.arch))
    for c in CHECKPOINTS:  # a search that ended before a checkpoint keeps its answer there
        if c > len(result.trials) and best is not None:
            out[c] = oracle.final - bench.final(back(best.arch))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--benchmark", default="nas-bench-macro", help="NAME[:DATASET]")
    parser.add_argument("--cost", default="flops")
    parser.add_argument("--max-cost-fraction", type=float, default=0.5)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategy", default="layernas-tr", help="NAME[:OPTION=VALUE...]")
    args = parser.parse_args()
    base = load(*parse_benchmark(args.benchmark), None, args.cost)
    cost_range = (0.0, args.max_cost_fraction * base.max_cost)
    spec = StrategySpec.parse(args.strategy)
    reversed_space = SearchSpace(list(reversed(base.space.layers)))

    def backwards(arch: Arch) -> Arch:
        return tuple(reversed(arch))

    for name, space, back in (("as given", base.space, lambda a: a),
                              ("reversed", reversed_space, backwards)):
        at: dict[int, list[float]] = {c: [] for c in CHECKPOINTS}
        for run in range(args.runs):
            seed = run_seed(args.seed, run)
            got = regrets(base.with_seed(seed), space, back, cost_range, spec, seed, args.budget)
            for c, r in got.items():
                at[c].append(r)
        print(f"{name:9s}", " / ".join(
            f"{statistics.median(at[c]):.2f}" if at[c] else "n/a" for c in CHECKPOINTS))


if __name__ == "__main__":
    main()
