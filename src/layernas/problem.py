"""The constrained problem: a space, its cost function and the target cost range.

This module owns everything that needs only cost (never training): the validated
and memoised cost of an architecture, the defaults that unsearched layers hold,
each layer's cheapest and most expensive option, and the *reachable range* of a
partially searched architecture (the costs it can still end at by changing only
the layers not yet searched).

Reachable ranges assume the cost is monotone per layer (the order of a layer's
options by cost does not depend on the other layers), as FLOPs, MAdds and params
are for layerwise spaces. The order is measured once, on a reference
architecture.

Costs go through a :class:`CostCache`: each architecture's cost is computed once per
search, and with a journal as its store it is kept there, so a resumed search sees exactly
the costs the interrupted one saw, even when they are measured (latency) rather than
computed. A target range is ``(lo, hi)`` or a :class:`MaxCostFraction` of the priciest
architecture's cost.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from layernas.errors import LayerNASError
from layernas.space import Arch, SearchSpace
from layernas.validate import fraction

CostFn = Callable[[Arch], float]


def as_number(value: Any, what: str) -> float:
    """``value`` as a float, or a clear error when it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LayerNASError(
            f"{what} returned {value!r} ({type(value).__name__}); it must return a real number"
        )
    return float(value)


def check_cost_range(cost_range: Sequence[float]) -> tuple[float, float]:
    """Validate ``(lo, hi)``: two finite numbers with lo <= hi."""
    try:
        lo, hi = cost_range
    except (TypeError, ValueError):
        raise LayerNASError(
            f"cost_range must be a pair (lo, hi), got {cost_range!r}"
        ) from None
    for name, value in (("lo", lo), ("hi", hi)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise LayerNASError(f"cost_range {name} must be a number, got {value!r}")
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise LayerNASError(f"cost_range ({lo}, {hi}) must have finite bounds")
    if lo > hi:
        raise LayerNASError(f"cost_range has lo={lo} > hi={hi}; give (lo, hi) with lo <= hi")
    return lo, hi


def extreme_options(space: SearchSpace, cost: CostFn) -> tuple[Arch, Arch]:
    """Each layer's cheapest and most expensive option, measured on a reference architecture.

    The reference holds each layer's given default, else its first option; ties go to
    the option listed first.
    """
    reference = tuple(
        layer.default if layer.default is not None else layer.options[0] for layer in space.layers
    )
    cheapest, priciest = [], []
    for i, layer in enumerate(space.layers):
        costs = [cost(reference[:i] + (opt,) + reference[i + 1 :]) for opt in layer.options]
        cheapest.append(layer.options[costs.index(min(costs))])
        priciest.append(layer.options[costs.index(max(costs))])
    return tuple(cheapest), tuple(priciest)


class CostStore(Protocol):
    """Where a :class:`CostCache` keeps costs beyond one search (a journal)."""

    def stored_cost(self, arch: Arch) -> float | None: ...

    def store_cost(self, arch: Arch, cost: float) -> None: ...


def evaluate_cost(fn: CostFn, arch: Arch) -> float:
    """``fn(arch)`` checked: a finite number >= 0, else a one-line error naming ``arch``."""
    try:
        value = fn(arch)
    except Exception as exc:  # noqa: BLE001 - any error of the user's cost function
        raise LayerNASError(
            f"the cost function raised on {arch!r}: {type(exc).__name__}: {exc}; fix the cost "
            "function (it must return a number for every architecture of the space)"
        ) from None
    value = as_number(value, f"cost function on {arch!r}")
    if not math.isfinite(value):
        raise LayerNASError(
            f"cost function returned {value} on {arch!r}; costs must be finite numbers"
        )
    if value < 0:
        raise LayerNASError(
            f"cost function returned {value:g} on {arch!r}; costs (MAdds, params, latency) "
            "must be >= 0"
        )
    return value


@dataclass
class CostCache:
    """A cost function with its checked values memoised, backed by a ``store`` (the
    search's journal) when there is one: a cost the store holds is never computed again,
    and a newly computed one is stored at once."""

    fn: CostFn
    store: CostStore | None = None
    _memo: dict[Arch, float] = field(default_factory=dict, repr=False)

    def __call__(self, arch: Arch) -> float:
        known = self._memo.get(arch)
        if known is not None:
            return known
        value = None if self.store is None else self.store.stored_cost(arch)
        if value is None:
            value = evaluate_cost(self.fn, arch)
            if self.store is not None:
                self.store.store_cost(arch, value)
        self._memo[arch] = value
        return value


@dataclass(frozen=True)
class MaxCostFraction:
    """A target range given as a share of the priciest architecture's cost:
    ``[0, fraction x max cost]`` (``fraction`` in (0, 1])."""

    fraction: float

    def __post_init__(self) -> None:
        fraction(self.fraction, "max_cost_fraction (a share of the largest model's cost)")

    def of(self, max_cost: float) -> tuple[float, float]:
        """The range for a space whose priciest architecture costs ``max_cost``."""
        return 0.0, float(self.fraction) * max_cost


CostRange = tuple[float, float] | MaxCostFraction


class Problem:
    """A search space with a cost function and a target range ``[lo, hi]``.

    ``cost`` is the cost function or a :class:`CostCache` (the runner's, backed by the
    journal); ``problem.cost`` is always the cache. ``cost_range`` may be a
    :class:`MaxCostFraction`, resolved here against the priciest architecture.
    """

    def __init__(self, space: SearchSpace, cost: CostFn, cost_range: CostRange) -> None:
        self.space = space
        fixed = None if isinstance(cost_range, MaxCostFraction) else check_cost_range(cost_range)
        self.cost: CostCache = cost if isinstance(cost, CostCache) else CostCache(cost)
        self.cheapest, self.priciest = extreme_options(self.space, self.cost)
        self.defaults: Arch = tuple(
            layer.default if layer.default is not None else self.priciest[i]
            for i, layer in enumerate(self.space.layers)
        )
        self.min_cost = self.cost(self.cheapest)
        self.max_cost = self.cost(self.priciest)
        self.cost_range = fixed or check_cost_range(cost_range.of(self.max_cost))
        lo, hi = self.cost_range
        if hi < self.min_cost or lo > self.max_cost:
            raise LayerNASError(
                f"no architecture can reach cost_range ({lo:g}, {hi:g}): costs in this space "
                f"span [{self.min_cost:g}, {self.max_cost:g}]; choose a range that overlaps it"
            )

    def in_range(self, cost: float) -> bool:
        lo, hi = self.cost_range
        return lo <= cost <= hi

    def reachable(self, arch: Arch, searched: int) -> tuple[float, float]:
        """Costs ``arch`` can end at when only layers ``searched..L-1`` may still change."""
        return (
            self.cost(arch[:searched] + self.cheapest[searched:]),
            self.cost(arch[:searched] + self.priciest[searched:]),
        )

    def can_reach(self, arch: Arch, searched: int) -> bool:
        """Whether some completion of ``arch``'s first ``searched`` layers lies in range."""
        low, high = self.reachable(arch, searched)
        lo, hi = self.cost_range
        return low <= hi and high >= lo

    def layer_cost_range(self, searched: int) -> tuple[float, float]:
        """Costs that candidates of layer ``searched - 1`` can have (later layers at default)."""
        return (
            self.cost(self.cheapest[:searched] + self.defaults[searched:]),
            self.cost(self.priciest[:searched] + self.defaults[searched:]),
        )
