#!/usr/bin/env bash
# LayerNAS ablation (docs/benchmarks.md): H, K, parent order, bucket range, dominated-parent
# pruning and refinement passes, 100 runs each, budget 1000, read at 100/300/500/1000 trained.
# Usage: bench/ablation.sh [OUT_DIR] [extra study options, e.g. --reward-noise 0.2]
set -euo pipefail
out=${1:-out/ablation}
shift || true
variants=layernas:buckets=10,layernas:buckets=20,layernas:buckets=50,layernas:buckets=100
variants+=,layernas:buckets=20:keep=2,layernas:buckets=20:keep=3
variants+=,layernas:buckets=100:keep=2,layernas:buckets=100:keep=3
variants+=,layernas:buckets=100:order=cost,layernas:buckets=100:order=random
variants+=,layernas:buckets=20:bucket_range=children,layernas:buckets=100:bucket_range=children
variants+=,layernas:buckets=20:prune_dominated=true,layernas:buckets=100:prune_dominated=true
variants+=,layernas:buckets=100:start_buckets=10,layernas:buckets=100:start_buckets=20
for benchmark in nats-sss:cifar10 nats-sss:cifar100 nats-sss:ImageNet16-120 nas-bench-macro:cifar10; do
  for fraction in 0.5 0.25; do
    layernas study --benchmark "$benchmark" --max-cost-fraction "$fraction" --runs 100 \
      --budget 1000 --strategies "$variants" --no-progress "$@" \
      --out "$out/${benchmark/:/-}-$fraction" | tail -n 1
  done
done
