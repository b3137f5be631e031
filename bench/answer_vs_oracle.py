"""Why a run's answer is not the oracle: was the oracle trained and lost to a luckier reward,
or never trained (a search that did not get there)?

Runs one strategy as `layernas study` runs it (same run seeds, same benchmark draw and reward
noise) and prints per run the answer's regret, whether the oracle was trained, its observed
reward against the answer's, and how many layers the answer differs from the oracle in; then
the counts. Run:
    python bench/answer_vs_oracle.py --benchmark nas-bench-macro --max-cost-fraction 0.5 --runs 20
"""

from __future__ import annotations

import argparse

import layernas as ln
from layernas.benchmarks import load
from layernas.study import NoisyReward, run_seed
from layernas.study.spec import StrategySpec, parse_benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--benchmark", default="nas-bench-macro", help="NAME[:DATASET]")
    parser.add_argument("--cost", default="flops")
    parser.add_argument("--max-cost-fraction", type=float, default=0.5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--reward-noise", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategy", default="layernas-tr", help="NAME[:OPTION=VALUE...]")
    args = parser.parse_args()
    base = load(*parse_benchmark(args.benchmark), None, args.cost)
    cost_range = (0.0, args.max_cost_fraction * base.max_cost)
    oracle = base.oracle(cost_range)
    spec = StrategySpec.parse(args.strategy)
    trained_oracle = returned_oracle = 0
    for run in range(args.runs):
        seed = run_seed(args.seed, run)
        bench = base.with_seed(seed)
        reward = NoisyReward(bench, args.reward_noise) if args.reward_noise else bench.reward
        result = ln.search(bench.space, reward, bench.cost, cost_range, strategy=spec.build(),
                           budget=args.budget, seed=seed, progress=False)
        told = {t.arch: t.reward for t in result.trials}
        answer = result.best.arch
        apart = sum(a != b for a, b in zip(answer, oracle.arch))
        seen = oracle.arch in told
        trained_oracle += seen
        returned_oracle += answer == oracle.arch
        oracle_reward = f"{told[oracle.arch]:.2f}" if seen else "-"
        print(f"run {run}: regret {oracle.final - bench.final(answer):.2f}, oracle trained "
              f"{'yes' if seen else 'no'} (reward {oracle_reward}), answer reward "
              f"{result.best.reward:.2f}, {apart} layers from the oracle")
    print(f"oracle trained in {trained_oracle} of {args.runs} runs, returned in {returned_oracle}")


if __name__ == "__main__":
    main()
