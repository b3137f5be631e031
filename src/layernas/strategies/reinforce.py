"""REINFORCE with a moving-average baseline, as the NATS-Bench reference code runs it.

One architecture per update, reward in percent, advantage = reward - baseline where
the baseline is a bias-corrected exponential moving average (momentum 0.9) updated
with the reward before the advantage is taken. The answer is the best architecture
seen (chosen by the runner), not the policy's argmax.
"""

from __future__ import annotations

from dataclasses import dataclass

from layernas.space import Arch
from layernas.strategies.base import Strategy
from layernas.strategies.policy import CategoricalPolicy
from layernas.validate import number


@dataclass
class MovingAverage:
    """Bias-corrected exponential moving average."""

    momentum: float
    numerator: float = 0.0
    denominator: float = 0.0

    def update(self, value: float) -> None:
        self.numerator = self.momentum * self.numerator + (1 - self.momentum) * value
        self.denominator = self.momentum * self.denominator + (1 - self.momentum)

    @property
    def value(self) -> float:
        return self.numerator / self.denominator


@dataclass
class Reinforce(Strategy):
    lr: float = 0.01
    momentum: float = 0.9

    name = "reinforce"

    def __post_init__(self) -> None:
        number(self.lr, "Reinforce lr", 0, lo_open=True)
        number(self.momentum, "Reinforce momentum", 0, 1, hi_open=True)

    def _start(self) -> None:
        self.policy = CategoricalPolicy(self.problem.space, self.rng, self.lr)
        self.baseline = MovingAverage(self.momentum)

    def _ask(self) -> Arch | None:
        if self.outstanding:
            return None
        return self.policy.sample(self.rng)

    def _tell(self, arch: Arch, reward: float | None) -> None:
        if reward is None:
            return
        self.baseline.update(reward)
        advantage = reward - self.baseline.value
        # Gradient of the loss -log pi(arch) * advantage.
        grads = [-advantage * g for g in self.policy.log_prob_grads(arch)]
        self.policy.optimizer.step(self.policy.logits, grads)
