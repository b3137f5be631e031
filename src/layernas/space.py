"""Search spaces: named layers, their options and optional defaults.

An architecture is a tuple holding one option value per layer, in layer order.
This module owns the structure of a space and its validation; costs and the
target range live in :mod:`layernas.problem`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layernas.errors import LayerNASError

Arch = tuple[Any, ...]


def arch_key(arch: Arch) -> str:
    """The architecture as JSON: its identity in journals and reports."""
    return json.dumps(list(arch), default=repr)


@dataclass(frozen=True)
class Layer:
    """One searchable layer: a name, its options and the option it holds while unsearched.

    ``default=None`` means "not given": LayerNAS then uses the layer's most expensive
    option under the cost function (the paper's Section 4 choice).
    """

    name: str
    options: tuple[Any, ...]
    default: Any = None

    def __init__(self, name: str, options: Sequence[Any], default: Any = None) -> None:
        if not isinstance(name, str) or not name:
            raise LayerNASError(f"layer name {name!r} must be a non-empty string")
        if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
            raise LayerNASError(
                f"layer {name!r}: options must be a list of values, got {type(options).__name__}"
            )
        opts = tuple(options)
        if not opts:
            raise LayerNASError(f"layer {name!r} has no options; give it at least one")
        for opt in opts:
            if not isinstance(opt, Hashable):
                raise LayerNASError(
                    f"layer {name!r}: option {opt!r} is unhashable ({type(opt).__name__}); "
                    "use hashable values such as ints, strings or tuples"
                )
        seen: set[Any] = set()
        for opt in opts:
            if opt in seen:
                raise LayerNASError(
                    f"layer {name!r}: option {opt!r} appears twice; list each option once"
                )
            seen.add(opt)
        if default is not None and default not in seen:
            raise LayerNASError(
                f"layer {name!r}: default {default!r} is not one of its options {list(opts)}"
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "options", opts)
        object.__setattr__(self, "default", default)

    def index(self, option: Any) -> int:
        """Position of ``option`` in this layer's option list."""
        return self.options.index(option)


@dataclass(frozen=True)
class SearchSpace:
    """An ordered list of layers; the space is their Cartesian product."""

    layers: tuple[Layer, ...] = field()

    def __init__(self, layers: Sequence[Layer]) -> None:
        if isinstance(layers, Layer):
            layers = [layers]
        layers = tuple(layers)
        if not layers:
            raise LayerNASError("the search space has no layers; pass a list of ln.Layer(...)")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise LayerNASError(
                    f"layer #{i} is a {type(layer).__name__}, not a layernas.Layer"
                )
        names = [layer.name for layer in layers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise LayerNASError(f"layer names must be unique; repeated: {dupes}")
        object.__setattr__(self, "layers", layers)

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    @property
    def size(self) -> int:
        """Number of architectures in the space."""
        return math.prod(len(layer.options) for layer in self.layers)

    def __iter__(self) -> Iterator[Arch]:
        """Every architecture, in product order (the first layer varies slowest)."""
        return itertools.product(*(layer.options for layer in self.layers))

    def sample(self, rng: np.random.Generator) -> Arch:
        """One architecture with each layer drawn uniformly and independently."""
        return tuple(layer.options[rng.integers(len(layer.options))] for layer in self.layers)

    def check(self, arch: Sequence[Any]) -> Arch:
        """Return ``arch`` as a tuple, or raise if it is not an architecture of this space."""
        arch = tuple(arch)
        if len(arch) != len(self.layers):
            raise LayerNASError(
                f"architecture {arch!r} has {len(arch)} values; the space has {len(self.layers)} layers"
            )
        for layer, value in zip(self.layers, arch):
            if value not in layer.options:
                raise LayerNASError(
                    f"layer {layer.name!r}: {value!r} is not one of its options {list(layer.options)}"
                )
        return arch

    def describe(self) -> list[dict[str, Any]]:
        """Plain-data description (names, options, defaults) for journals and reports."""
        return [
            {"name": layer.name, "options": list(layer.options), "default": layer.default}
            for layer in self.layers
        ]
