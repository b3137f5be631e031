"""A per-layer independent categorical policy over a search space, with an Adam optimiser.

Shared by the policy-gradient strategies: logits start near zero, an architecture is
sampled layer by layer, and gradients of log-probabilities are taken per layer.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from layernas.space import SearchSpace


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


@dataclass
class Adam:
    """Adam on a list of arrays (defaults of torch.optim.Adam)."""

    lr: float
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    steps: int = 0
    m: list[np.ndarray] = field(default_factory=list)
    v: list[np.ndarray] = field(default_factory=list)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if not self.m:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.steps += 1
        b1, b2 = self.betas
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / (1 - b1**self.steps)
            v_hat = v / (1 - b2**self.steps)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class CategoricalPolicy:
    """One categorical distribution per layer; logits start at 1e-3 * N(0, 1)."""

    def __init__(self, space: SearchSpace, rng: np.random.Generator, lr: float) -> None:
        self.space = space
        self.logits = [1e-3 * rng.standard_normal(len(layer.options)) for layer in space.layers]
        self.optimizer = Adam(lr=lr)
        self._cdf_key = b""
        self._cdf: list[list[float]] = []

    def sample(self, rng: np.random.Generator) -> tuple:
        """One option per layer, by inverse-CDF sampling (one uniform draw per layer)."""
        draws = rng.random(len(self.logits)).tolist()
        return tuple(
            layer.options[min(bisect.bisect_right(cdf, u), len(layer.options) - 1)]
            for layer, cdf, u in zip(self.space.layers, self._cdfs(), draws)
        )

    def _cdfs(self) -> list[list[float]]:
        """Per-layer cumulative probabilities, recomputed only when the logits have changed
        (a converged policy is sampled many times between updates)."""
        key = b"".join(logits.tobytes() for logits in self.logits)
        if key != self._cdf_key:
            self._cdf_key = key
            self._cdf = [np.cumsum(softmax(logits)).tolist() for logits in self.logits]
        return self._cdf

    def choices(self, arch: tuple) -> list[int]:
        return [layer.index(value) for layer, value in zip(self.space.layers, arch)]

    def log_prob_grads(self, arch: tuple) -> list[np.ndarray]:
        """d log pi(arch) / d logits, per layer."""
        grads = []
        for logits, choice in zip(self.logits, self.choices(arch)):
            grad = -softmax(logits)
            grad[choice] += 1.0
            grads.append(grad)
        return grads

    def probabilities(self) -> list[np.ndarray]:
        return [softmax(logits) for logits in self.logits]
