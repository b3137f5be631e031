"""Reward noise that emulates short proxy training on tables whose rewards are noise-free.

``NoisyReward(bench, sigma)`` answers ``bench.reward(arch) + sigma * z(seed, arch)``, where
``z`` is a standard normal that depends only on the benchmark's run seed and the
architecture's index: the same architecture queried twice in a run gets the same value, and
every strategy of that run sees the same noisy table. The noise of all architectures is drawn
once per run, as one vector over the space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layernas.benchmarks import Benchmark

_NOISE_SALT = 0x4E4F4953  # keeps the noise stream apart from the benchmark's and strategies'


def noise_vector(seed: int, size: int) -> np.ndarray:
    """Standard normals, one per architecture index, for run seed ``seed``."""
    return np.random.default_rng([_NOISE_SALT, int(seed)]).standard_normal(size)


@dataclass
class NoisyReward:
    """``bench.reward`` plus Gaussian noise of ``sigma`` (in the reward's units)."""

    bench: Benchmark
    sigma: float
    _noise: np.ndarray | None = field(default=None, init=False, repr=False)

    def __call__(self, arch: Sequence[Any]) -> float:
        if self._noise is None:
            self._noise = self.sigma * noise_vector(self.bench.seed, self.bench.space.size)
        return self.bench.reward(arch) + float(self._noise[self.bench.index(arch)])
