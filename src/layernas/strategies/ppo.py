"""PPO: the per-layer categorical policy of REINFORCE, trained with the clipped objective.

The paper's RL baseline is proximal policy optimisation (Schulman et al. 2017,
arXiv 1707.06347); the NATS-Bench reference code has none, so this is ours. A batch
of ``batch`` architectures is sampled from the current policy; the policy does not
change until the whole batch is told, so every architecture of a batch may be out at
once and the log-probabilities taken at update time are those of the sampling (old)
policy. Then ``epochs`` full-batch Adam steps minimise

    -mean_i min(r_i A_i, clip(r_i, 1 - clip, 1 + clip) A_i) - entropy * H(pi),

where ``r_i = pi(a_i) / pi_old(a_i)``, ``H`` is the entropy of the joint (factorised)
policy, the sum of the per-layer entropies, and the advantage ``A_i`` is the reward in
percent minus a moving-average baseline. As in REINFORCE (bias-corrected EMA,
momentum 0.9) the baseline is updated with the rewards before advantages are taken: with
the batch's rewards in told order, then one baseline serves the whole batch.
Advantages are not normalised: Adam already makes the step size independent of a
constant reward scale, raw advantages shrink as the policy converges (a brake that
per-batch normalisation would remove, blowing rare worse samples up to unit size), and
``entropy`` stays in reward units: percentage points per nat.

Rejected (out of cost range) and failed candidates are not trained on: their slot is
sampled again from the same policy, so a batch always holds ``batch`` told rewards.
A repeated architecture (answered by the runner from its known result) is a sample like
any other. Proposals depend only on the policy, which changes only when a batch is
complete, and on how many slots are open; replaying told outcomes in order rebuilds
the same state.

Defaults: ``clip=0.2`` is the PPO paper's best clip in its comparison of surrogates;
``epochs=4`` lies between the paper's 3 (Atari) and 10 (MuJoCo) and is OpenAI Baselines'
ppo2 default; ``momentum=0.9`` is REINFORCE's. ``batch=20``, ``lr=0.1`` and
``entropy=0.3`` are ours (docs/benchmarks.md, "PPO's defaults", has the check they come
from). A NAS budget is hundreds of architectures, not the paper's millions of frames: with
the paper's lr 3e-4 the policy would barely leave uniform, while batches of 20 and lr 0.1
make 15 updates in 300 trials, the clipping bounding how far one batch moves the policy.
Without an entropy bonus the policy collapses onto a few architectures and then proposes
only known ones, so a larger budget goes unused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layernas.space import Arch
from layernas.strategies.base import Strategy
from layernas.strategies.policy import CategoricalPolicy
from layernas.strategies.reinforce import MovingAverage
from layernas.validate import number, positive_int


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


def log_probs(logits: list[np.ndarray], choices: np.ndarray) -> np.ndarray:
    """log pi(a_i) for each row of ``choices`` (samples x layers, option indices)."""
    return sum(log_softmax(z)[choices[:, layer]] for layer, z in enumerate(logits))


def ppo_loss(
    logits: list[np.ndarray],
    choices: np.ndarray,
    old_log_probs: np.ndarray,
    advantages: np.ndarray,
    clip: float,
    entropy: float,
) -> tuple[float, list[np.ndarray]]:
    """The clipped-surrogate loss (to minimise) and its gradient per layer's logits."""
    ratios = np.exp(log_probs(logits, choices) - old_log_probs)
    clipped = np.clip(ratios, 1 - clip, 1 + clip)
    loss = -np.minimum(ratios * advantages, clipped * advantages).mean()
    # The gradient flows through r_i A_i unless the clipped term is the smaller one.
    active = ~(((advantages > 0) & (ratios > 1 + clip)) | ((advantages < 0) & (ratios < 1 - clip)))
    weights = np.where(active, ratios * advantages, 0.0) / len(advantages)
    grads = []
    for layer, z in enumerate(logits):
        log_p = log_softmax(z)
        p = np.exp(log_p)
        layer_entropy = -(p * log_p).sum()
        loss -= entropy * layer_entropy
        # d log pi(a_i) / dz = onehot(choice) - p;  dH / dz = -p (log p + H).
        grad = -(np.bincount(choices[:, layer], weights=weights, minlength=len(z))
                 - weights.sum() * p)
        grad += entropy * p * (log_p + layer_entropy)
        grads.append(grad)
    return float(loss), grads


@dataclass
class PPO(Strategy):
    """Clipped PPO on batches of ``batch`` architectures; see the module docstring."""

    batch: int = 20
    epochs: int = 4
    clip: float = 0.2
    lr: float = 0.1
    momentum: float = 0.9
    entropy: float = 0.3

    name = "ppo"

    def __post_init__(self) -> None:
        positive_int(self.batch, "PPO batch")
        positive_int(self.epochs, "PPO epochs")
        number(self.clip, "PPO clip", 0, 1, lo_open=True, hi_open=True)
        number(self.lr, "PPO lr", 0, lo_open=True)
        number(self.momentum, "PPO momentum", 0, 1, hi_open=True)
        number(self.entropy, "PPO entropy", 0)

    def _start(self) -> None:
        self.policy = CategoricalPolicy(self.problem.space, self.rng, self.lr)
        self.baseline = MovingAverage(self.momentum)
        self.told: list[tuple[Arch, float]] = []  # the current batch's trained candidates

    def _ask(self) -> Arch | None:
        if len(self.told) + self.outstanding >= self.batch:
            return None  # the batch is full if everything out is trained
        return self.policy.sample(self.rng)

    def _tell(self, arch: Arch, reward: float | None) -> None:
        if reward is None:
            return  # rejected or failed: the slot is free to sample again
        self.told.append((arch, reward))
        if len(self.told) == self.batch:
            self.update()

    def update(self) -> None:
        """``epochs`` Adam steps on the clipped objective for the complete batch."""
        choices = np.array([self.policy.choices(arch) for arch, _ in self.told])
        rewards = np.array([reward for _, reward in self.told])
        for reward in rewards:
            self.baseline.update(reward)
        advantages = rewards - self.baseline.value
        old = log_probs(self.policy.logits, choices)
        for _ in range(self.epochs):
            _, grads = ppo_loss(self.policy.logits, choices, old, advantages, self.clip,
                                self.entropy)
            self.policy.optimizer.step(self.policy.logits, grads)
        self.told = []
