"""Trust-region LayerNAS, the paper's LayerNAS and random search on real training (digits).

For each seed, every strategy searches the MobileNetV2-style space (examples/digits.toml's
settings: 4-epoch proxy training, at most half the largest model's MAdds) with the same
budget of trained candidates; each winner is retrained for 30 epochs from the same seeded
initialisation and its test accuracy measured. Prints one row per (strategy, seed), then
per strategy the means. Run:
    python bench/digits_compare.py --budget 60 --seeds 0 1 2 --workers 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import layernas as ln
from layernas.study.spec import StrategySpec
from layernas.torch.problem import TrainingProblem

STRATEGIES = ("layernas-tr", "layernas:buckets=4", "random")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES),
                        help="study-style NAME[:OPTION=VALUE...] entries")
    args = parser.parse_args()
    specs = [StrategySpec.parse(text) for text in args.strategies]
    rows = []
    for seed in args.seeds:
        problem = TrainingProblem("mobilenet_v2", "digits", epochs=4, final_epochs=30, seed=seed)
        for spec in specs:
            start = time.perf_counter()
            result = ln.search(problem.space, problem.reward, problem.cost, ln.MaxCostFraction(0.5),
                               strategy=spec.build(), budget=args.budget, seed=seed,
                               workers=args.workers, progress=False)
            if result.best is None:  # nothing in range within the budget: no answer
                rows.append((spec.label, seed, result.trained, None, None, None, None))
                print(f"{spec.label:20} seed {seed}: trained {result.trained:3}, no in-range "
                      f"candidate (no answer), {time.perf_counter() - start:.0f} s", flush=True)
                continue
            _, final = problem.final_training(result.best.arch)
            first = next(n for n, t in enumerate(result.trials, 1)
                         if t.cost <= result.cost_range[1])
            rows.append((spec.label, seed, result.trained, result.best.reward,
                         final.test_accuracy, result.best.cost, first))
            print(f"{spec.label:20} seed {seed}: trained {result.trained:3} (first in range: "
                  f"#{first}), val {result.best.reward:.2f}%, test {final.test_accuracy:.2f}%, "
                  f"MAdds {result.best.cost:,.0f}, {time.perf_counter() - start:.0f} s",
                  flush=True)
    for spec in specs:
        mine = [r for r in rows if r[0] == spec.label and r[3] is not None]
        missing = sum(r[0] == spec.label and r[3] is None for r in rows)
        if not mine:
            print(f"{spec.label:20} no answer in any of {missing} seeds")
            continue
        print(f"{spec.label:20} mean over {len(mine)} seeds with an answer: val "
              f"{statistics.mean(r[3] for r in mine):.2f}%, test "
              f"{statistics.mean(r[4] for r in mine):.2f}%, MAdds "
              f"{statistics.mean(r[5] for r in mine):,.0f}, trained "
              f"{statistics.mean(r[2] for r in mine):.0f}; no answer in {missing} seeds")


if __name__ == "__main__":
    main()
