"""The per-block latency table against measured latency on random digits MobileNetV2 networks.

Samples ``--n`` architectures uniformly from the digits MobileNetV2-style space (or
``--space mobilenet_v3``), measures each built network's CPU latency (batch 1, median of
50 runs after 10 warm-ups, ``--threads`` pinned) and predicts it with a
``LatencyTable`` filled on the fly (each block variant measured once in isolation, summed),
as a search's ``LatencyCost`` does: first uncalibrated (scale 1), then calibrated on
``--calibration`` other whole networks (the cost's default, 5). Prints one row per
architecture, then for both the mean and max absolute percentage error and the Pearson and
Spearman correlations. Timings on a shared machine are noisy. Run:
    python bench/latency_predictor.py --n 30 --threads 1
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch

from layernas.torch.latency import LatencyCost, measure_latency
from layernas.torch.spaces import make


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    for rank, i in enumerate(order):
        out[i] = float(rank)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--space", default="mobilenet_v2")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1, help="of the sampled networks "
                        "(the calibration networks are drawn with seed 0)")
    parser.add_argument("--calibration", type=int, default=5)
    args = parser.parse_args()
    space = make(args.space)
    cost = LatencyCost(space, "latency_table", args.threads, calibration=args.calibration)
    table, setting = cost.table, cost.table.setting
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    measured, raw = [], []
    for i in range(args.n):
        arch = space.space.sample(rng)
        model = space.build(arch)
        m = measure_latency(model, space.input_shape, setting.threads, setting.warmup,
                            setting.repeats)
        p = table.predict(model, space.input_shape) / table.scale
        measured.append(m.median_ms)
        raw.append(p)
        print(f"{i:3d} madds {space.cost(arch):9d}  measured {m.median_ms:7.3f} ms  "
              f"table {p:7.3f} ms ({100 * (p - m.median_ms) / m.median_ms:+6.1f}%)  "
              f"calibrated {table.scale * p:7.3f} ms "
              f"({100 * (table.scale * p - m.median_ms) / m.median_ms:+6.1f}%)")
    print(f"setting: {m.setting}; {len(table.entries)} table entries; "
          f"scale {table.scale:.4f} from {args.calibration} networks")
    for name, predicted in (("table", raw), ("calibrated", [table.scale * p for p in raw])):
        errors = [abs(p - m) / m * 100 for p, m in zip(predicted, measured, strict=True)]
        print(f"{name:10}: mean abs error {statistics.mean(errors):.1f}%  "
              f"max abs error {max(errors):.1f}%  "
              f"pearson {statistics.correlation(measured, predicted):.3f}  "
              f"spearman {statistics.correlation(ranks(measured), ranks(predicted)):.3f}")


if __name__ == "__main__":
    main()
