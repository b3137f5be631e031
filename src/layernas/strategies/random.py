"""Random search: every layer drawn uniformly and independently, with replacement."""

from __future__ import annotations

from dataclasses import dataclass

from layernas.space import Arch
from layernas.strategies.base import Strategy


@dataclass
class RandomSearch(Strategy):
    """Uniform sampling; proposals never depend on results, so any number can be out at once."""

    name = "random"

    def _ask(self) -> Arch:
        return self.problem.space.sample(self.rng)

    def _tell(self, arch: Arch, reward: float | None) -> None:
        pass
