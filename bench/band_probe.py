"""Random cost bands: does a strategy find an in-range answer, and how good, when the range has
a lower end?

For each table, draws bands whose lower end is a random quantile of the architectures' costs
and whose width is 0.2%, 1%, 5% or 20% of them, runs one search per band and prints the bands
where the first candidate is out of range, nothing in range was found, or the search ended
having trained less than half of min(budget, the band's size); then per table the median
regret and in how many bands trial 1 was in range. Run:
    python bench/band_probe.py --bands 25 --seed 123
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

import layernas as ln
from layernas.benchmarks import load
from layernas.study.spec import StrategySpec

TABLES = (("nats-sss", "cifar10", "flops"), ("nats-sss", "cifar100", "params"),
          ("nas-bench-macro", "cifar10", "flops"))
WIDTHS = (0.002, 0.01, 0.05, 0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bands", type=int, default=25, help="bands per table")
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--strategy", default="layernas-tr", help="NAME[:OPTION=VALUE...]")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    spec = StrategySpec.parse(args.strategy)
    for name, dataset, cost in TABLES:
        bench = load(name, dataset, None, cost)
        costs = np.array(sorted(bench.cost(a) for a in bench.space))
        regrets, first_in = [], 0
        for k in range(args.bands):
            start, width = rng.uniform(0, 0.95), rng.choice(WIDTHS)
            lo = float(np.quantile(costs, start))
            hi = float(np.quantile(costs, min(1.0, start + width)))
            size = int(((costs >= lo) & (costs <= hi)).sum())
            result = ln.search(bench.space, bench.reward, bench.cost, (lo, hi),
                               strategy=spec.build(), budget=args.budget, seed=k, progress=False)
            first = bool(result.trials) and lo <= result.trials[0].cost <= hi
            first_in += first
            regret = None
            if result.best is not None:
                regret = bench.oracle((lo, hi)).final - bench.final(result.best.arch)
                regrets.append(regret)
            short = result.trained < 0.5 * min(args.budget, size)
            if not first or regret is None or (short and result.stop_reason != "budget reached"):
                shown = "none in range" if regret is None else f"regret {regret:.2f}"
                print(f"{name} {dataset} {cost}: band from quantile {start:.3f}, width {width}, "
                      f"{size} in it: trained {result.trained}, trial 1 in range {first}, "
                      f"{shown}, {result.stop_reason}")
        print(f"{name} {dataset} {cost}: {args.bands} bands, median regret "
              f"{statistics.median(regrets):.3f} (of {len(regrets)} with an answer), trial 1 in "
              f"range in {first_in}")


if __name__ == "__main__":
    main()
