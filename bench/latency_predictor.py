"""The per-block latency table against measured latency on random digits MobileNetV2 networks.

Samples ``--n`` architectures uniformly from the digits MobileNetV2-style space (or
``--space mobilenet_v3``), measures each built network's CPU latency (batch 1, median of
``--repeats`` runs after ``--warmup``, ``--threads`` pinned) and predicts it with a
``LatencyTable`` filled on the fly (each block variant measured once in isolation, summed).
Prints one row per architecture, then the mean and max absolute percentage error and the
Pearson and Spearman correlations. Timings on a shared machine are noisy. Run:
    python bench/latency_predictor.py --n 30 --threads 1
"""

from __future__ import annotations

import argparse
import random
import statistics

import torch

from layernas.torch.latency import LatencySetting, LatencyTable, measure_latency
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
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    space = make(args.space)
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    table = LatencyTable(LatencySetting(args.threads, args.warmup, args.repeats))
    measured, predicted = [], []
    for i in range(args.n):
        arch = tuple(rng.choice(layer.options) for layer in space.space.layers)
        model = space.build(arch)
        m = measure_latency(model, space.input_shape, args.threads, args.warmup, args.repeats)
        p = table.predict(model, space.input_shape)
        measured.append(m.median_ms)
        predicted.append(p)
        print(f"{i:3d} madds {space.cost(arch):9d}  measured {m.median_ms:7.3f} ms  "
              f"predicted {p:7.3f} ms  error {100 * (p - m.median_ms) / m.median_ms:+6.1f}%")
    errors = [abs(p - m) / m * 100 for p, m in zip(predicted, measured, strict=True)]
    print(f"setting: {m.setting}; {len(table.entries)} table entries")
    print(f"mean abs error {statistics.mean(errors):.1f}%  max abs error {max(errors):.1f}%  "
          f"pearson {statistics.correlation(measured, predicted):.3f}  "
          f"spearman {statistics.correlation(ranks(measured), ranks(predicted)):.3f}")


if __name__ == "__main__":
    main()
