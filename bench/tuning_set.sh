#!/usr/bin/env bash
# Trust-region LayerNAS's tuning set (docs/benchmarks.md, "How it was tuned"): NATS-Bench size
# CIFAR-10 and CIFAR-100 at 20/25/40/50/60% of the largest FLOPs and 25/50% of the largest
# params, and NAS-Bench-Macro at 50/25% FLOPs (since v4); NATS CIFAR-10 and CIFAR-100 at
# 10/15/30/75% FLOPs (since v8); 100 runs, budget 300. The sums quoted there add the median
# regrets at 30/50/100/200/300 trained over these settings (16 before v8, 24 since).
# Usage: bench/tuning_set.sh OUT_DIR VARIANTS [extra study options, e.g. --reward-noise 0.2]
#   e.g. bench/tuning_set.sh out/tune layernas-tr,layernas-tr:model=0
set -euo pipefail
out=$1
variants=$2
shift 2
run() {
  layernas study --benchmark "$1" --cost "$2" --max-cost-fraction "$3" --runs 100 --budget 300 \
    --strategies "$variants" --no-progress "${@:4}" --out "$out/${1/:/-}-$2-$3" | tail -n 1
}
for benchmark in nats-sss:cifar10 nats-sss:cifar100; do
  for fraction in 0.1 0.15 0.2 0.25 0.3 0.4 0.5 0.6 0.75; do run "$benchmark" flops "$fraction" "$@"; done
  for fraction in 0.25 0.5; do run "$benchmark" params "$fraction" "$@"; done
done
for fraction in 0.5 0.25; do run nas-bench-macro:cifar10 flops "$fraction" "$@"; done
