"""Tabular benchmarks with a known optimum, behind one ``load`` function.

``load(name, dataset=..., data_dir=None, cost="flops", seed=0)`` returns a ``Benchmark``:
``space``, ``cost(arch)``, ``reward(arch)``, ``final(arch)``, ``oracle((lo, hi))`` and metadata.

- ``nats-sss``: NATS-Bench size space, 90-epoch validation accuracy (cifar10, cifar100,
  ImageNet16-120); data found or downloaded as ``layernas.benchmarks.data`` describes.
- ``nas-bench-macro``: NAS-Bench-Macro on cifar10; noisy reward (one of 3 training seeds).
- ``nats-sss-official``: the official NATS-Bench archive read through ``nats_bench``.

``DATA_FILES`` lists every public file the benchmarks read (the official archive only as its
three-record sample); ``fetch_all()`` finds or downloads them all at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from layernas.benchmarks import macro, nats_official, nats_sss
from layernas.benchmarks.benchmark import COSTS, Benchmark, Oracle, TableBenchmark
from layernas.benchmarks.data import DataFile, locate_all
from layernas.benchmarks.nats_official import NatsOfficialBenchmark
from layernas.errors import LayerNASError


@dataclass(frozen=True)
class _Entry:
    datasets: tuple[str, ...]
    build: Callable[[str, str | os.PathLike[str] | None, str, int], Benchmark]


BENCHMARKS = {
    nats_sss.NAME: _Entry(nats_sss.DATASETS, nats_sss.load),
    macro.NAME: _Entry(macro.DATASETS, macro.load),
    nats_official.NAME: _Entry(nats_official.DATASETS, nats_official.load),
}

DATA_FILES: dict[str, tuple[DataFile, ...]] = {
    nats_sss.NAME: (nats_sss.ARCH_STRINGS, *nats_sss.ACCURACY.values()),
    macro.NAME: (macro.TABLE,),
    nats_official.NAME: nats_official.SAMPLE,
}


def fetch_all(data_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The data root of each of ``DATA_FILES``, downloading into the cache what none holds."""
    return {name: locate_all(files, data_dir) for name, files in DATA_FILES.items()}


def load(
    name: str,
    dataset: str = "cifar10",
    data_dir: str | os.PathLike[str] | None = None,
    cost: str = "flops",
    seed: int = 0,
) -> Benchmark:
    """The benchmark ``name`` on ``dataset``, costed by ``cost``, drawing rewards with ``seed``."""
    entry = BENCHMARKS.get(name)
    if entry is None:
        raise LayerNASError(f"unknown benchmark {name!r}; choose one of {list(BENCHMARKS)}")
    if dataset not in entry.datasets:
        raise LayerNASError(
            f"benchmark {name!r} has no dataset {dataset!r}; choose one of {list(entry.datasets)}"
        )
    if cost not in COSTS:
        raise LayerNASError(f"unknown cost {cost!r}; choose one of {list(COSTS)}")
    return entry.build(dataset, data_dir, cost, seed)


__all__ = [
    "BENCHMARKS", "DATA_FILES", "Benchmark", "NatsOfficialBenchmark", "Oracle", "TableBenchmark",
    "fetch_all", "load",
]
