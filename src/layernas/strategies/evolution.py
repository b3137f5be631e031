"""Regularized evolution (aging evolution), as the NATS-Bench reference code runs it.

A population of ``population`` members is first filled with random architectures;
then each step samples ``sample`` members with replacement, mutates the best one
(one random layer redrawn uniformly) and the child replaces the oldest member.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from layernas.space import Arch
from layernas.strategies.base import Strategy
from layernas.validate import positive_int


@dataclass
class RegularizedEvolution(Strategy):
    population: int = 10
    sample: int = 3

    name = "evolution"

    def __post_init__(self) -> None:
        positive_int(self.population, "RegularizedEvolution population")
        positive_int(self.sample, "RegularizedEvolution sample")

    def _start(self) -> None:
        self._members: deque[tuple[Arch, float]] = deque()

    def _ask(self) -> Arch | None:
        space = self.problem.space
        if len(self._members) + self.outstanding < self.population and not self._full:
            return space.sample(self.rng)
        if not self._full or self.outstanding:
            return None
        picks = self.rng.integers(len(self._members), size=self.sample)
        parent = max((self._members[i] for i in picks), key=lambda member: member[1])[0]
        layer = int(self.rng.integers(len(space.layers)))
        options = space.layers[layer].options
        child = list(parent)
        child[layer] = options[self.rng.integers(len(options))]
        return tuple(child)

    @property
    def _full(self) -> bool:
        return len(self._members) >= self.population

    def _tell(self, arch: Arch, reward: float | None) -> None:
        if reward is None:
            return
        self._members.append((arch, reward))
        if len(self._members) > self.population:
            self._members.popleft()
