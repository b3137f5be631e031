"""LayerNAS against random search on the real-training digits problem, at equal budgets.

For each seed, both strategies search the MobileNetV2-style space (examples/digits.toml's
settings: 4-epoch proxy training, at most half the largest model's MAdds) with the same
budget of trained candidates; each winner is retrained for 30 epochs from the same seeded
initialisation and its test accuracy measured. Prints one row per (strategy, seed) and the
means. Run:
    python bench/digits_compare.py --budget 100 --seeds 0 1 2 --workers 2
"""

from __future__ import annotations

import argparse
import statistics

import layernas as ln
from layernas.torch.problem import TrainingProblem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--buckets", type=int, default=4)
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        problem = TrainingProblem("mobilenet_v2", "digits", epochs=4, final_epochs=30, seed=seed)
        for strategy in (ln.LayerNAS(buckets=args.buckets, keep=1), ln.RandomSearch()):
            result = ln.search(problem.space, problem.reward, problem.cost, ln.MaxCostFraction(0.5),
                               strategy=strategy, budget=args.budget, seed=seed,
                               workers=args.workers, progress=False)
            _, final = problem.final_training(result.best.arch)
            rows.append((strategy.name, seed, result.trained, result.best.reward,
                         final.test_accuracy, result.best.cost))
            print(f"{strategy.name:9} seed {seed}: trained {result.trained:3}, "
                  f"val {result.best.reward:.2f}%, test {final.test_accuracy:.2f}%, "
                  f"MAdds {result.best.cost:,.0f}", flush=True)
    for name in ("layernas", "random"):
        mine = [r for r in rows if r[0] == name]
        print(f"{name:9} mean over {len(mine)} seeds: test "
              f"{statistics.mean(r[4] for r in mine):.2f}%, MAdds "
              f"{statistics.mean(r[5] for r in mine):,.0f}, trained "
              f"{statistics.mean(r[2] for r in mine):.0f}")


if __name__ == "__main__":
    main()
