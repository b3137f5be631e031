"""Adapter over a user's own official NATS-Bench size-space archive (``nats_bench`` package).

``data_dir`` is the archive directory ``NATS-sss-v1_0-50262-simple`` (as extracted from the
official release) or a directory holding it; failing that, the archive is looked for
under the other data roots (``$LAYERNAS_DATA``, the cache) and then ``$TORCH_HOME``
(``~/.torch``, the ``nats_bench`` default).
Records are read lazily through the API (``fast_mode``) and memoised:

- reward = final = 90-epoch validation accuracy averaged over seeds,
  ``get_more_info(index, api_dataset, hp="90", is_random=False)["valid-accuracy"]``, where
  CIFAR-10 uses the ``cifar10-valid`` split (the official validation split; plain ``cifar10``
  trains on train+valid and has no validation accuracy);
- cost = ``get_cost_info(index, api_dataset, hp="90")["flops" | "params"]`` (millions).

Only the architectures whose record files the archive holds can be queried; ``oracle``
searches those (the first call reads them all: minutes for the full 32,768-record archive).
``max_cost`` is the largest network's cost from the closed form in ``nats_sss``, which equals
the official records, because a partial archive may lack that network.

``sample_archive()`` is the official three-record sample (indices 0, 11, 284) that NATS-Bench's
repository ships for its own tests (``fake_torch_dir``), found or downloaded like the other
benchmark files: enough to try the adapter, and what this project's tests check it on.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from layernas.benchmarks import nats_sss
from layernas.benchmarks.benchmark import UNITS, Benchmark
from layernas.benchmarks.data import DataFile, data_roots, locate_all
from layernas.errors import LayerNASError

NAME = "nats-sss-official"
ARCHIVE = "NATS-sss-v1_0-50262-simple"
DATASETS = nats_sss.DATASETS
API_DATASET = {
    "cifar10": "cifar10-valid",
    "cifar100": "cifar100",
    "ImageNet16-120": "ImageNet16-120",
}
HP = "90"
SOURCE = "https://github.com/D-X-Y/NATS-Bench"
LICENSE = "MIT"
_RECORD = re.compile(r"^(\d{6})\.pickle\.pbz2$")
_SAMPLE_COMMIT = "0bdc154e25d7be91a7459b250e4f161dd52de939"
_SAMPLE_SHA256 = {
    "000000.pickle.pbz2": "76265ad39ba47dcef1b754872370336158d430c0d869ab2f752dadf684bea378",
    "000011.pickle.pbz2": "0b267775cbff4841dac9769ebab098d2b70e56d58e393eeb5968e8db57be9e5a",
    "000284.pickle.pbz2": "3918e488313ef21991e870af1d104f35a6b1d41ba994e8585af2b0c544869b8d",
    "meta.pickle.pbz2": "63abccf2cfd42604a24c270aafb1faa56fbdaf1418368af82346750642c45383",
}
SAMPLE = tuple(
    DataFile(
        f"nats-bench-fixtures/fake_torch_dir/{ARCHIVE}/{name}",
        f"https://raw.githubusercontent.com/D-X-Y/NATS-Bench/{_SAMPLE_COMMIT}/fake_torch_dir/"
        f"{ARCHIVE}/{name}",
        sha256,
    )
    for name, sha256 in _SAMPLE_SHA256.items()
)


@dataclass(frozen=True, eq=False, kw_only=True)
class NatsOfficialBenchmark(Benchmark):
    """The NATS size space read through ``nats_bench`` from an official archive."""

    archive: Path
    api: Any = field(repr=False)
    available: frozenset[int] = field(repr=False)
    _records: dict[int, tuple[float, float]] = field(default_factory=dict, repr=False)

    def cost(self, arch: Any) -> float:
        return self._record(self.index(arch))[0]

    def reward(self, arch: Any) -> float:
        return self._record(self.index(arch))[1]

    def final(self, arch: Any) -> float:
        return self._record(self.index(arch))[1]

    def _known(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        indices = np.array(sorted(self.available), dtype=np.int64)
        records = np.array([self._record(int(i)) for i in indices], dtype=np.float64)
        return indices, records[:, 0], records[:, 1]

    def _record(self, index: int) -> tuple[float, float]:
        """(cost, validation accuracy) of the architecture at ``index``, read once."""
        if index not in self._records:
            if index not in self.available:
                raise LayerNASError(
                    f"{self.arch_at(index)} (NATS index {index}) is not in the archive "
                    f"{self.archive}, which holds {len(self.available)} architectures; "
                    "use the full archive or query only the architectures it has"
                )
            dataset = API_DATASET[self.dataset]
            costs = self.api.get_cost_info(index, dataset, hp=HP)
            info = self.api.get_more_info(index, dataset, hp=HP, is_random=False)
            self._records[index] = (float(costs[self.cost_name]), float(info["valid-accuracy"]))
        return self._records[index]


def find_archive(data_dir: str | os.PathLike[str] | None) -> Path:
    """The archive: a data root (see ``data.data_roots``, then ``$TORCH_HOME``) that is the
    archive directory itself or holds ``NATS-sss-v1_0-50262-simple``."""
    roots = data_roots(data_dir)
    roots.append(Path(os.environ.get("TORCH_HOME") or Path.home() / ".torch"))
    for root in roots:
        for candidate in (root, root / ARCHIVE):
            if (candidate / "meta.pickle.pbz2").is_file():
                return candidate
    searched = ", ".join(str(root) for root in roots)
    raise LayerNASError(
        f"no official NATS-Bench size-space archive ({ARCHIVE}/meta.pickle.pbz2) under "
        f"{searched}. Get it from {SOURCE}, extract it, and pass data_dir=<path to {ARCHIVE}>"
    )


def sample_archive(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The official three-record sample archive (a ``NATS-sss-v1_0-50262-simple`` folder)."""
    return locate_all(SAMPLE, data_dir) / Path(SAMPLE[0].path).parent


@functools.cache
def _open(archive: Path) -> tuple[Any, frozenset[int]]:
    """The API over ``archive`` (created once) and the indices of the records it holds."""
    try:
        import nats_bench
    except ImportError:
        raise LayerNASError(
            "the nats-sss-official benchmark needs the nats_bench package: "
            "pip install 'layernas[nats]'"
        ) from None
    api = nats_bench.create(str(archive), "sss", fast_mode=True, verbose=False)
    held = (_RECORD.match(p.name) for p in archive.iterdir())
    return api, frozenset(int(m.group(1)) for m in held if m)


def load(
    dataset: str, data_dir: str | os.PathLike[str] | None, cost: str, seed: int
) -> NatsOfficialBenchmark:
    """The NATS size space on ``dataset`` from the official archive found via ``data_dir``."""
    archive = find_archive(data_dir).resolve()
    api, available = _open(archive)
    return NatsOfficialBenchmark(
        name=NAME,
        dataset=dataset,
        space=nats_sss.space(),
        cost_name=cost,
        units=UNITS[cost],
        metric=nats_sss.METRIC,
        source=SOURCE,
        license=LICENSE,
        checksums={},
        max_cost=float(nats_sss.cost_tables(dataset)[cost].max()),
        seed=seed,
        archive=archive,
        api=api,
        available=available,
    )
