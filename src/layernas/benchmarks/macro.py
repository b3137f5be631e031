"""NAS-Bench-Macro: 8 layers x {identity, MB3_K3, MB6_K5}, 6,561 networks trained 3 times on CIFAR-10.

Owns the layer list and the table. Key digit i of the table is layer i's option (0 identity,
1 MobileNetV2 block kernel 3 expansion 3, 2 kernel 5 expansion 6), so a key read in base 3 is
the architecture's index in product order.

- cost: the table's ``flops`` in millions (MFLOPs; they count conv multiply-accumulates and the
  classifier's weights, not BN, ReLU, pooling or biases), or ``params`` in millions (conv and
  linear weights, linear bias and the BN affine pair).
- final: test accuracy averaged over the 3 training seeds.
- reward: the test accuracy of one real training seed, picked per architecture by the run seed.
"""

from __future__ import annotations

import functools
import json
import os

import numpy as np

from layernas.benchmarks.benchmark import UNITS, TableBenchmark, frozen
from layernas.benchmarks.data import DataFile, locate
from layernas.errors import LayerNASError
from layernas.space import Layer, SearchSpace

NAME = "nas-bench-macro"
OPTIONS = ("identity", "MB3_K3", "MB6_K5")
LAYERS = 8
SEEDS = 3
DATASETS = ("cifar10",)
METRIC = "test accuracy (%), mean of 3 training seeds"
SOURCE = "https://github.com/xiusu/NAS-Bench-Macro"
LICENSE = "Apache-2.0"
TABLE = DataFile(
    f"{NAME}/nas-bench-macro_cifar10.json",
    "https://raw.githubusercontent.com/xiusu/NAS-Bench-Macro/master/data/nas-bench-macro_cifar10.json",
    "686dee8363cc21cca8c1f321ad5749454f2d9b9ca5972682e137e539bc522297",
)


def space() -> SearchSpace:
    """Eight layers "layer1".."layer8", each with options identity, MB3_K3, MB6_K5."""
    return SearchSpace([Layer(f"layer{i}", OPTIONS) for i in range(1, LAYERS + 1)])


@functools.cache
def _table(path: str) -> dict[str, np.ndarray]:
    """Parse the JSON once: per-seed accuracy, seed mean, MFLOPs and M params in product order."""
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    size = len(OPTIONS) ** LAYERS
    if len(raw) != size:
        raise LayerNASError(f"{path}: expected {size} architectures, found {len(raw)}")
    seed_accs = np.full((size, SEEDS), np.nan)
    flops = np.zeros(size)
    params = np.zeros(size)
    for key, record in raw.items():
        i = int(key, len(OPTIONS))
        seed_accs[i] = record["test_acc"]
        flops[i] = record["flops"] / 1e6
        params[i] = record["params"] / 1e6
    if np.isnan(seed_accs).any():
        raise LayerNASError(f"{path}: some architectures are missing or lack 3 seeds")
    return {
        "seed_accs": frozen(seed_accs),
        "finals": frozen(seed_accs.mean(axis=1)),
        "flops": frozen(flops),
        "params": frozen(params),
    }


def load(
    dataset: str, data_dir: str | os.PathLike[str] | None, cost: str, seed: int
) -> TableBenchmark:
    """NAS-Bench-Macro on CIFAR-10 with ``cost`` ("flops" or "params") as the cost."""
    table = _table(str(locate(TABLE, data_dir)))
    return TableBenchmark(
        name=NAME,
        dataset=dataset,
        space=space(),
        cost_name=cost,
        units=UNITS[cost],
        metric=METRIC,
        source=SOURCE,
        license=LICENSE,
        checksums={TABLE.path: TABLE.sha256},
        max_cost=float(table[cost].max()),
        seed=seed,
        costs=table[cost],
        finals=table["finals"],
        seed_finals=table["seed_accs"],
    )
