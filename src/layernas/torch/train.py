"""Proxy training: train a module for a few epochs on a :class:`~layernas.torch.data.Dataset`
and report validation and test accuracy.

Deterministic given ``seed``: the seed fixes the batch order and torch's global RNG (dropout),
training runs with deterministic algorithms on ``threads`` CPU threads (both restored
afterwards). The module's initial weights are the caller's: seed torch before building it
(:class:`~layernas.torch.reward.TrainingReward` does). Optimizer: AdamW with a cosine
learning-rate decay to zero over all steps; cross-entropy loss; the last partial batch of an
epoch is dropped (batch norm needs more than one example).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from layernas.errors import LayerNASError
from layernas.torch.data import Dataset, Split

EVAL_BATCH = 1024


@dataclass(frozen=True)
class TrainResult:
    """Accuracies in percent after the last epoch; ``seconds`` of training and evaluation."""

    val_accuracy: float
    test_accuracy: float
    seconds: float
    epochs: int


@contextmanager
def deterministic(threads: int | None) -> Iterator[None]:
    """Deterministic algorithms and ``threads`` intra-op threads (None: leave as is)."""
    previous = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1])


def accuracy(module: nn.Module, split: Split) -> float:
    """Top-1 accuracy of ``module`` (eval mode) on ``split``, in percent."""
    module.eval()
    with torch.no_grad():
        correct = sum(
            int((module(x).argmax(1) == y).sum())
            for x, y in zip(split.x.split(EVAL_BATCH), split.y.split(EVAL_BATCH))
        )
    return 100.0 * correct / len(split.y)


def train(module: nn.Module, data: Dataset, epochs: int, seed: int, batch_size: int = 64,
          lr: float = 0.01, weight_decay: float = 1e-4, threads: int | None = 1) -> TrainResult:
    """Train ``module`` for ``epochs`` epochs, then measure validation and test accuracy."""
    steps_per_epoch = len(data.train.y) // batch_size
    if epochs < 1 or steps_per_epoch < 1:
        raise LayerNASError(
            f"need epochs >= 1 and batch_size <= {len(data.train.y)} training examples; "
            f"got epochs={epochs}, batch_size={batch_size}"
        )
    start = time.perf_counter()
    with deterministic(threads):
        torch.manual_seed(seed)
        order = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * steps_per_epoch)
        loss_fn = nn.CrossEntropyLoss()
        for _ in range(epochs):
            module.train()
            perm = torch.randperm(len(data.train.y), generator=order)
            for batch in perm[: steps_per_epoch * batch_size].split(batch_size):
                optimizer.zero_grad(set_to_none=True)
                loss_fn(module(data.train.x[batch]), data.train.y[batch]).backward()
                optimizer.step()
                schedule.step()
        val, test = accuracy(module, data.val), accuracy(module, data.test)
    return TrainResult(val, test, time.perf_counter() - start, epochs)
