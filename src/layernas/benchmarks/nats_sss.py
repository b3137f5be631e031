"""NATS-Bench size search space (NATS-sss): 5 layers x channels {8, 16, ..., 64}, 32,768 networks.

Owns the layer list, the exact FLOPs and params of every network, and the table of 90-epoch
validation accuracy (seed mean; CIFAR-10 from the ``cifar10-valid`` split) for CIFAR-10,
CIFAR-100 and ImageNet16-120. The table has no per-seed values, so ``reward == final``.

The network, for channels (c0, ..., c4) and input resolution R: stem conv3x3 3->c0 + BN;
cell(c0->c0) at R; residual block(c0->c1, stride 2); cell(c1->c2) at R/2; residual
block(c2->c3, stride 2); cell(c3->c4) at R/4; BN + ReLU, global pool, linear c4->classes.
A cell has five ReLU-conv3x3-BN edges (two from node 0, C_in->C_out; three C_out->C_out) and a
skip from node 0 that is a conv1x1 + BN when C_in != C_out. A residual block has two
ReLU-conv3x3-BN (the first with stride 2) and an AvgPool(2) + conv1x1 shortcut.
FLOPs follow the NATS convention (conv H_out*W_out*C_out*C_in*k*k, linear weights and bias;
BN, ReLU and pooling not counted); params count conv and linear weights, linear bias and the BN
affine pair. Both equal the official records, in millions.
"""

from __future__ import annotations

import functools
import itertools
import os

import numpy as np

from layernas.benchmarks.benchmark import UNITS, TableBenchmark, frozen
from layernas.benchmarks.data import DataFile, locate
from layernas.errors import LayerNASError
from layernas.space import Layer, SearchSpace

NAME = "nats-sss"
CHANNELS = (8, 16, 24, 32, 40, 48, 56, 64)
METRIC = "90-epoch validation accuracy (%)"
SOURCE = (
    "https://github.com/lightonai/contrastive-embeddings-for-neural-architectures/tree/"
    "8606a4a4d7ea9ed9c01964660e8b2afb1e003480/SearchSpaces/BenchNatsss"
)
LICENSE = "MIT"
_RAW = (
    "https://raw.githubusercontent.com/lightonai/contrastive-embeddings-for-neural-architectures/"
    "8606a4a4d7ea9ed9c01964660e8b2afb1e003480/SearchSpaces/BenchNatsss/"
)


def _file(name: str, sha256: str) -> DataFile:
    return DataFile(f"{NAME}/{name}", _RAW + name, sha256)


ARCH_STRINGS = _file(
    "arch_strings.npy", "810ffb6d4bbfcdd3a42ffd6b3d39daca53110260715ccd89e63eb3636519ee0a"
)
ACCURACY = {
    "cifar10": _file(
        "cifar10_accs.npy", "fb28ab473ad084d0360626c58f750e92e237ac4fe253e5a2cc42bab8c9c6c745"
    ),
    "cifar100": _file(
        "cifar100_accs.npy", "10669ea2ccd27c5532503ea4ca98eff1ea60ae400596232af52780db6cabccca"
    ),
    "ImageNet16-120": _file(
        "ImageNet16-120.npy", "1902b051be94e395e3349c617d5c904220b2d5cb32e5bc6d43aac2a82b6db7bb"
    ),
}
DATASETS = tuple(ACCURACY)
# dataset -> (classes, input resolution)
_INPUT = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}


def space() -> SearchSpace:
    """Five layers "channels1".."channels5", each with options 8, 16, ..., 64."""
    return SearchSpace([Layer(f"channels{i}", CHANNELS) for i in range(1, 6)])


def network_costs(channels: np.ndarray, dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact (FLOPs, params) as integer counts, one value per row of 5 channel counts."""
    classes, res = _INPUT[dataset]
    c = np.asarray(channels, dtype=np.int64)
    c0, c1, c2, c3, c4 = c.T
    flops = res * res * 27 * c0 + classes * (c4 + 1)
    params = 29 * c0 + 2 * c4 + classes * (c4 + 1)
    cells = ((c0, c0, res * res), (c1, c2, res * res // 4), (c3, c4, res * res // 16))
    for cin, cout, area in cells:
        skip = (cin != cout) * cin * cout
        convs = 9 * (2 * cin * cout + 3 * cout * cout)
        flops = flops + area * (convs + skip)
        params = params + convs + 10 * cout + skip + 2 * (cin != cout) * cout
    for cin, cout, area in ((c0, c1, res * res // 4), (c2, c3, res * res // 16)):
        convs = 9 * cin * cout + 9 * cout * cout + cin * cout
        flops = flops + area * convs
        params = params + convs + 4 * cout
    return flops, params


@functools.cache
def cost_tables(dataset: str) -> dict[str, np.ndarray]:
    """MFLOPs ("flops") and M params ("params") of all 32,768 networks in product order."""
    grid = np.array(list(itertools.product(CHANNELS, repeat=5)), dtype=np.int64)
    flops, params = network_costs(grid, dataset)
    return {"flops": frozen(flops / 1e6), "params": frozen(params / 1e6)}


@functools.cache
def _accuracies(arch_path: str, acc_path: str) -> np.ndarray:
    """The accuracy column, after checking its rows are in product order."""
    expected = [":".join(map(str, a)) for a in itertools.product(CHANNELS, repeat=5)]
    if np.load(arch_path, allow_pickle=False).tolist() != expected:
        raise LayerNASError(f"{arch_path}: rows are not in itertools.product order of {CHANNELS}")
    return frozen(np.asarray(np.load(acc_path, allow_pickle=False), dtype=np.float64))


def load(
    dataset: str, data_dir: str | os.PathLike[str] | None, cost: str, seed: int
) -> TableBenchmark:
    """The NATS size space on ``dataset`` with ``cost`` ("flops" or "params") as the cost."""
    files = (ARCH_STRINGS, ACCURACY[dataset])
    arch_path, acc_path = (str(locate(f, data_dir)) for f in files)
    costs = cost_tables(dataset)[cost]
    return TableBenchmark(
        name=NAME,
        dataset=dataset,
        space=space(),
        cost_name=cost,
        units=UNITS[cost],
        metric=METRIC,
        source=SOURCE,
        license=LICENSE,
        checksums={f.path: f.sha256 for f in files},
        max_cost=float(costs.max()),
        seed=seed,
        costs=costs,
        finals=_accuracies(arch_path, acc_path),
    )
