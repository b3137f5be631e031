#!/usr/bin/env bash
# Trust-region LayerNAS ablation on its tuning set (NATS-Bench size CIFAR-10 and CIFAR-100 and,
# since v3, NAS-Bench-Macro, at 50% and 25% of the largest FLOPs; docs/benchmarks.md): each
# option moved off its default, 100 runs, budget 300, read at 50/100/200/300 trained.
# Usage: bench/ablation_tr.sh [OUT_DIR] [extra study options, e.g. --reward-noise 0.2]
set -euo pipefail
out=${1:-out/ablation-tr}
shift || true
variants=layernas-tr,layernas-tr:buckets=1,layernas-tr:buckets=3,layernas-tr:keep=2
variants+=,layernas-tr:region_buckets=2,layernas-tr:radius=2
variants+=,layernas-tr:regions=1,layernas-tr:regions=4,layernas-tr:regions=16,layernas-tr:regions=32
variants+=,layernas-tr:probe=off,layernas-tr:probe=best,layernas-tr:probe=all
variants+=,layernas-tr:fill=default,layernas-tr:bucket_key=full
variants+=,layernas-tr:first_regions=2,layernas-tr:first_regions=7
variants+=,layernas-tr:model=0,layernas-tr:model=2,layernas-tr:model_ridge=1,layernas-tr:model_picks=2
variants+=,layernas-tr:widen=false,layernas-tr:finish_probes=false,layernas-tr:refund=false
variants+=,layernas-tr:reverse_pass=false,layernas-tr:reverse_pass=true
for benchmark in nats-sss:cifar10 nats-sss:cifar100 ${MACRO:-nas-bench-macro:cifar10}; do
  for fraction in 0.5 0.25; do
    layernas study --benchmark "$benchmark" --max-cost-fraction "$fraction" --runs 100 \
      --budget 300 --strategies "$variants" --no-progress "$@" \
      --out "$out/${benchmark/:/-}-$fraction" | tail -n 1
  done
done
