"""Exhaustive search: every architecture of the space once, in product order."""

from __future__ import annotations

from dataclasses import dataclass

from layernas.space import Arch
from layernas.strategies.base import Strategy


@dataclass
class Exhaustive(Strategy):
    """Brute force; the cost filter rejects the out-of-range architectures before training."""

    name = "exhaustive"

    def _start(self) -> None:
        self._remaining = iter(self.problem.space)
        self._done = False

    def _ask(self) -> Arch | None:
        arch = next(self._remaining, None)
        if arch is None:
            self._done = True
        return arch

    def _tell(self, arch: Arch, reward: float | None) -> None:
        pass

    @property
    def finished(self) -> bool:
        return self._done

    def bound(self) -> int:
        return self.problem.space.size
