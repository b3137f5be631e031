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
search, and with a journal it is also stored there, so a resumed search sees exactly
the costs the interrupted one saw, even when they are measured (latency) rather than
computed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from layernas.errors import LayerNASError
from layernas.space import Arch, SearchSpace, arch_key

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


@dataclass
class CostCache:
    """A cost function with its validated values memoised.

    ``stored`` holds costs known before this search (architecture key -> cost, from a
    journal); ``record`` is told each newly computed cost (the journal stores it).
    """

    fn: CostFn
    stored: dict[str, float] = field(default_factory=dict)
    record: Callable[[Arch, float], None] | None = None
    _memo: dict[Arch, float] = field(default_factory=dict, repr=False)

    @property
    def identity(self) -> str | None:
        """The ``identity`` string a measured cost function declares, else None.

        A cost whose values are measured (noisy) cannot be recognised by evaluating it
        again, so it names itself, e.g. ``"latency(threads=1, warmup=10, repeats=50, ...)"``.
        """
        identity = getattr(self.fn, "identity", None)
        if identity is not None and not isinstance(identity, str):
            raise LayerNASError(
                f"the cost function's identity must be a string, got {type(identity).__name__}"
            )
        return identity

    def __call__(self, arch: Arch) -> float:
        known = self._memo.get(arch)
        if known is not None:
            return known
        value = self.stored.get(arch_key(arch)) if self.stored else None
        if value is None:
            value = self.evaluate(arch)
            if self.record is not None:
                self.record(arch, value)
        self._memo[arch] = value
        return value

    def computed(self) -> dict[Arch, float]:
        """Every cost this cache has answered so far."""
        return dict(self._memo)

    def evaluate(self, arch: Arch) -> float:
        """The cost function's own value on ``arch`` (validated; never from the memo)."""
        value = as_number(self.fn(arch), f"cost function on {arch!r}")
        if not math.isfinite(value):
            raise LayerNASError(
                f"cost function returned {value} on {arch!r}; costs must be finite numbers"
            )
        return value


@dataclass
class Problem:
    """A search space with a cost function and a target range ``[lo, hi]``.

    ``cost_fn`` may be a :class:`CostCache` (the runner passes one that a journal fills).
    """

    space: SearchSpace
    cost_fn: CostFn
    cost_range: tuple[float, float]

    def __post_init__(self) -> None:
        self.cost_range = check_cost_range(self.cost_range)
        self.cost: CostCache = (
            self.cost_fn if isinstance(self.cost_fn, CostCache) else CostCache(self.cost_fn)
        )
        self.cheapest, self.priciest = extreme_options(self.space, self.cost)
        self.defaults: Arch = tuple(
            layer.default if layer.default is not None else self.priciest[i]
            for i, layer in enumerate(self.space.layers)
        )
        self.min_cost = self.cost(self.cheapest)
        self.max_cost = self.cost(self.priciest)
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
