"""The benchmark interface: a search space with a known cost, reward and true optimum.

``Benchmark`` holds what every benchmark has (space, metadata, mixed-radix indexing, the
oracle); ``TableBenchmark`` is the fast case where every architecture's cost and final value
sit in numpy arrays in product order (the first layer varies slowest), so ``cost``, ``reward``
and ``final`` are one index computation and one array lookup.

- ``reward(arch)``: what a search observes when it "trains" ``arch``. For tables with several
  training seeds it is one seed's value, drawn as a fixed function of (``seed``, arch index): a
  repeated query gives the same number, another ``seed`` gives another draw.
- ``final(arch)``: the reporting metric (the seed mean), used by ``oracle`` and for regret.
- ``oracle((lo, hi))``: the best architecture by ``final`` whose cost lies in [lo, hi], as an
  :class:`Oracle`; ties go to the lower cost, then to the earlier architecture in product order.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from layernas.errors import LayerNASError
from layernas.space import Arch, SearchSpace

if TYPE_CHECKING:
    from typing_extensions import Self

COSTS = ("flops", "params")
UNITS = {"flops": "MFLOPs", "params": "M params"}
_NOISE_SALT = 0x4C4E4153  # keeps the seed-draw stream apart from a strategy's default_rng(seed)


@dataclass(frozen=True)
class Oracle:
    """The true optimum over a cost range: ``final`` is its reporting metric (``final(arch)``,
    e.g. the seed mean), not a reward a search observes."""

    arch: Arch
    cost: float
    final: float


@dataclass(frozen=True, eq=False, kw_only=True)
class Benchmark(ABC):
    """A search space whose cost, reward and true optimum are known."""

    name: str
    dataset: str
    space: SearchSpace = field(repr=False)
    cost_name: str
    units: str
    metric: str
    source: str
    license: str
    checksums: Mapping[str, str] = field(repr=False)
    max_cost: float
    seed: int = 0
    _radices: tuple[int, ...] = field(init=False, repr=False)
    _positions: tuple[dict[Any, int], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise LayerNASError(f"seed must be a non-negative integer, got {self.seed!r}")
        layers = self.space.layers
        object.__setattr__(self, "_radices", tuple(len(layer.options) for layer in layers))
        object.__setattr__(
            self,
            "_positions",
            tuple({opt: i for i, opt in enumerate(layer.options)} for layer in layers),
        )

    def index(self, arch: Sequence[Any]) -> int:
        """Position of ``arch`` in product order (mixed radix, O(layers))."""
        index = 0
        try:
            if len(arch) == len(self._radices):
                for positions, radix, value in zip(self._positions, self._radices, arch):
                    index = index * radix + positions[value]
                return index
        except (KeyError, TypeError):
            pass
        try:
            self.space.check(arch)  # raises the precise error for a wrong length or value
        except TypeError:
            pass
        raise LayerNASError(f"{arch!r} is not an architecture of the {self.name} space")

    def arch_at(self, index: int) -> Arch:
        """The architecture at ``index`` in product order."""
        if not 0 <= index < self.space.size:
            raise LayerNASError(f"index {index} is outside 0..{self.space.size - 1}")
        values = []
        for layer, radix in zip(reversed(self.space.layers), reversed(self._radices)):
            index, digit = divmod(index, radix)
            values.append(layer.options[digit])
        return tuple(reversed(values))

    def with_seed(self, seed: int) -> Self:
        """A copy drawing rewards from run seed ``seed``, sharing this one's tables."""
        return dataclasses.replace(self, seed=seed)

    @abstractmethod
    def cost(self, arch: Sequence[Any]) -> float:
        """Cost of ``arch`` in ``units``."""

    @abstractmethod
    def reward(self, arch: Sequence[Any]) -> float:
        """What a search observes for ``arch`` under this benchmark's ``seed``."""

    @abstractmethod
    def final(self, arch: Sequence[Any]) -> float:
        """The reporting metric of ``arch`` (``metric``)."""

    @abstractmethod
    def _known(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indices, costs, finals) of every architecture the oracle may choose from."""

    def oracle(self, cost_range: Sequence[float]) -> Oracle:
        """The best architecture by ``final`` with cost in [lo, hi]."""
        lo, hi = _check_range(cost_range)
        indices, costs, finals = self._known()
        inside = np.flatnonzero((costs >= lo) & (costs <= hi))
        if inside.size == 0:
            raise LayerNASError(
                f"no architecture of {self.name}/{self.dataset} costs within [{lo}, {hi}] "
                f"{self.units}; costs span [{costs.min()}, {costs.max()}]"
            )
        order = np.lexsort((indices[inside], costs[inside], -finals[inside]))
        best = inside[order[0]]
        return Oracle(self.arch_at(int(indices[best])), float(costs[best]), float(finals[best]))


@dataclass(frozen=True, eq=False, kw_only=True)
class TableBenchmark(Benchmark):
    """A benchmark with every architecture's values in arrays, in product order.

    ``seed_finals`` (architectures x training seeds), when given, makes ``reward`` noisy: each
    architecture's reward is one of its seeds, picked by the run ``seed``.
    """

    costs: np.ndarray = field(repr=False)
    finals: np.ndarray = field(repr=False)
    seed_finals: np.ndarray | None = field(default=None, repr=False)
    rewards: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        size = self.space.size
        if self.costs.shape != (size,) or self.finals.shape != (size,):
            raise LayerNASError(f"{self.name}: tables must hold {size} values in product order")
        rewards = self.finals
        if self.seed_finals is not None:
            rng = np.random.default_rng([int(self.seed), _NOISE_SALT])
            picks = rng.integers(self.seed_finals.shape[1], size=size)
            rewards = self.seed_finals[np.arange(size), picks]
            rewards.flags.writeable = False
        object.__setattr__(self, "rewards", rewards)

    def cost(self, arch: Sequence[Any]) -> float:
        return float(self.costs[self.index(arch)])

    def reward(self, arch: Sequence[Any]) -> float:
        return float(self.rewards[self.index(arch)])

    def final(self, arch: Sequence[Any]) -> float:
        return float(self.finals[self.index(arch)])

    def _known(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.arange(self.space.size), self.costs, self.finals


def _check_range(cost_range: Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(bound) for bound in cost_range)
    except (TypeError, ValueError):
        raise LayerNASError(
            f"cost_range must be a pair (lo, hi) of numbers, got {cost_range!r}"
        ) from None
    if not lo <= hi:
        raise LayerNASError(f"cost_range ({lo}, {hi}) is empty: lo must be <= hi")
    return lo, hi


def frozen(array: np.ndarray) -> np.ndarray:
    """``array`` marked read-only, for tables shared between benchmark copies."""
    array.flags.writeable = False
    return array
