"""Proxy training: train a module for a few epochs on a :class:`~layernas.torch.data.Dataset`
and report validation and test accuracy.

``TrainSettings`` holds what a config may set: epochs, batch size, learning rate, weight decay,
optimizer (``sgd`` with Nesterov momentum 0.9, ``adam``, ``adamw``; cosine decay of the
learning rate to zero over all steps), device (``cpu``, ``cuda``, ``cuda:N``, or ``auto``:
CUDA when available) and CPU threads. Loss: cross-entropy; batches come from a
``torch.utils.data.DataLoader`` over any map-style dataset; the last partial batch of an epoch
is dropped (batch norm needs more than one example).

Deterministic given ``seed`` on one machine with one torch version: the seed fixes the batch
order and torch's global RNG (dropout), training runs with deterministic algorithms (on CUDA,
warn-only: some kernels have no deterministic version) on ``threads`` CPU threads (both
restored afterwards). Other CPUs run other kernels (AVX2 vs AVX-512, oneDNN, MKL), so the
same seed may train to slightly different weights there. The module's initial weights are the
caller's: seed torch before building it (:class:`~layernas.torch.reward.TrainingReward` does).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, Sampler, SequentialSampler

from layernas.errors import LayerNASError
from layernas.torch.data import Dataset, TorchDataset
from layernas.validate import number, one_of, optional_positive_int, positive_int

EVAL_BATCH = 1024
OPTIMIZERS = ("sgd", "adam", "adamw")
Optimizer = Literal["sgd", "adam", "adamw"]


@dataclass(frozen=True)
class TrainSettings:
    """How a candidate is trained (every field can be set from a TOML config)."""

    epochs: int = 4
    batch_size: int = 64
    lr: float = 0.01
    weight_decay: float = 1e-4
    optimizer: Optimizer = "adamw"
    device: str = "cpu"
    threads: int | None = 1

    def __post_init__(self) -> None:
        positive_int(self.epochs, "training epochs")
        positive_int(self.batch_size, "training batch_size")
        number(self.lr, "training lr", 0)
        number(self.weight_decay, "training weight_decay", 0)
        one_of(self.optimizer, OPTIMIZERS, "training optimizer")
        if self.device != "auto" and _device_type(self.device) not in ("cpu", "cuda"):
            raise LayerNASError(
                f"unknown device {self.device!r}; use 'cpu', 'cuda', 'cuda:N' or 'auto'"
            )
        optional_positive_int(self.threads, "training threads")

    def torch_device(self) -> torch.device:
        """The device to train on; a clear error when CUDA is asked for and missing."""
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        device = torch.device(self.device)
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise LayerNASError(
                f"device {self.device!r} asked for, but torch {torch.__version__} sees "
                f"{torch.cuda.device_count()} CUDA GPU(s); install a CUDA build of torch, or "
                "set device = 'cpu' (or 'auto')"
            )
        return device


def _device_type(name: object) -> str | None:
    try:
        return torch.device(name).type
    except (RuntimeError, TypeError):
        return None


@dataclass(frozen=True)
class TrainResult:
    """Accuracies in percent after the last epoch; ``seconds`` of training and evaluation."""

    val_accuracy: float
    test_accuracy: float
    seconds: float
    epochs: int


@contextmanager
def deterministic(threads: int | None, device: torch.device) -> Iterator[None]:
    """Deterministic algorithms and ``threads`` intra-op threads (None: leave as is)."""
    previous = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
                torch.is_deterministic_algorithms_warn_only_enabled())
    if device.type == "cuda":  # deterministic cuBLAS needs this before its first use
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1], warn_only=previous[2])


class Shuffled(Sampler[int]):
    """One permutation of ``range(n)`` per epoch from ``order``: exactly one ``randperm`` draw
    (``RandomSampler`` draws a second, empty one at the end of each epoch)."""

    def __init__(self, n: int, order: torch.Generator) -> None:
        self.n, self.order = n, order

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        return iter(torch.randperm(self.n, generator=self.order).tolist())


def batches(split: TorchDataset, batch_size: int, order: torch.Generator | None) -> DataLoader:
    """Batches of ``split``: shuffled by ``order`` (full batches only), else in order."""
    sampler = SequentialSampler(split) if order is None else Shuffled(len(split), order)
    # the loader's own generator only seeds its workers; it must not draw from torch's
    # global RNG, which the caller seeded for the module's initialisation and dropout
    return DataLoader(split, batch_sampler=BatchSampler(sampler, batch_size, order is not None),
                      generator=torch.Generator().manual_seed(0))


def accuracy(module: nn.Module, split: TorchDataset, device: torch.device | str = "cpu") -> float:
    """Top-1 accuracy of ``module`` (eval mode) on ``split``, in percent."""
    module.eval()
    correct = 0
    with torch.no_grad():
        for x, y in batches(split, EVAL_BATCH, None):
            correct += int((module(x.to(device)).argmax(1) == y.to(device)).sum())
    return 100.0 * correct / len(split)


def make_optimizer(module: nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    kind = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    extra = {"momentum": 0.9, "nesterov": True} if settings.optimizer == "sgd" else {}
    return kind[settings.optimizer](module.parameters(), lr=settings.lr,
                                    weight_decay=settings.weight_decay, **extra)


def train(module: nn.Module, data: Dataset, settings: TrainSettings, seed: int) -> TrainResult:
    """Train ``module`` as ``settings`` say, then measure validation and test accuracy."""
    steps_per_epoch = len(data.train) // settings.batch_size
    if steps_per_epoch < 1:
        raise LayerNASError(
            f"batch_size {settings.batch_size} is larger than the {len(data.train)} training "
            f"examples of {data.name!r}; lower batch_size"
        )
    device = settings.torch_device()
    start = time.perf_counter()
    with deterministic(settings.threads, device):
        torch.manual_seed(seed)
        order = torch.Generator().manual_seed(seed)
        module.to(device)
        optimizer = make_optimizer(module, settings)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, settings.epochs * steps_per_epoch)
        loss_fn = nn.CrossEntropyLoss()
        for _ in range(settings.epochs):
            module.train()
            for x, y in batches(data.train, settings.batch_size, order):
                optimizer.zero_grad(set_to_none=True)
                loss_fn(module(x.to(device)), y.to(device)).backward()
                optimizer.step()
                schedule.step()
        val, test = accuracy(module, data.val, device), accuracy(module, data.test, device)
        module.cpu()
    return TrainResult(val, test, time.perf_counter() - start, settings.epochs)
