"""ModelSpace: a search space whose architectures are built as PyTorch modules.

It ties a :class:`layernas.SearchSpace` to a network builder, and owns the memoised cost
(MAdds, see :mod:`layernas.torch.counting`) and parameter count of each architecture,
both counted on a model built on the ``meta`` device (no weights are allocated).
``name`` and ``kwargs`` are the constructor call that recreates the space
(``layernas.torch.spaces.make(name, **kwargs)``); ``kwargs`` holds plain JSON values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from layernas.space import Arch, SearchSpace
from layernas.torch.counting import madds, params


@dataclass(frozen=True, eq=False)
class ModelSpace:
    """Layers and options (``space``) plus how to build, and count, each architecture."""

    name: str
    kwargs: dict[str, Any]
    space: SearchSpace
    input_shape: tuple[int, int, int]
    num_classes: int
    network: Callable[[Arch], nn.Module] = field(repr=False)
    _counts: dict[Arch, tuple[int, int]] = field(
        default_factory=dict, init=False, repr=False
    )

    def build(self, arch: Arch) -> nn.Module:
        """The network of ``arch`` (freshly initialised by torch's current RNG)."""
        return self.network(self.space.check(arch))

    def build_meta(self, arch: Arch) -> nn.Module:
        """The network of ``arch`` on the meta device: for counting, never for running."""
        with torch.device("meta"):
            return self.build(arch)

    def cost(self, arch: Arch) -> int:
        """MAdds of one example through the network of ``arch`` (memoised)."""
        return self._count(arch)[0]

    cost.units = "MAdds"  # type: ignore[attr-defined]  # read by journals, for display

    def params(self, arch: Arch) -> int:
        """Parameter count of the network of ``arch`` (memoised)."""
        return self._count(arch)[1]

    def _count(self, arch: Arch) -> tuple[int, int]:
        arch = self.space.check(arch)
        if arch not in self._counts:
            model = self.build_meta(arch)
            self._counts[arch] = (madds(model, self.input_shape), params(model))
        return self._counts[arch]
