#!/usr/bin/env bash
# The benchmark tables of README.md and docs/benchmarks.md: NATS-Bench size (3 datasets) and
# NAS-Bench-Macro at 50% and 25% of the largest model's FLOPs, 100 runs, budget 300 trained
# candidates, every strategy under the same cost filter.
# Usage: [STRATEGIES=...] [FRACTIONS="0.5 0.25"] [BUDGET=300] [BENCHMARKS="..."] \
#        bench/table.sh [OUT_DIR] [extra study options, e.g. --reward-noise 0.2, --sim-workers 8]
set -euo pipefail
out=${1:-out/table}
shift || true
strategies=${STRATEGIES:-layernas-tr,layernas,layernas:buckets=20,layernas:buckets=100:start_buckets=10,random,evolution,reinforce,ppo}
benchmarks=${BENCHMARKS:-nats-sss:cifar10 nats-sss:cifar100 nats-sss:ImageNet16-120 nas-bench-macro:cifar10}
for benchmark in $benchmarks; do
  for fraction in ${FRACTIONS:-0.5 0.25}; do
    layernas study --benchmark "$benchmark" --max-cost-fraction "$fraction" --runs 100 \
      --budget "${BUDGET:-300}" --strategies "$strategies" --no-progress "$@" \
      --out "$out/${benchmark/:/-}-$fraction" | tail -n 1
  done
done
