"""Digits and MNIST: fixed stratified 60/20/20 splits, standardised by the training pixels."""

import numpy as np
import pytest
import torch

from layernas import LayerNASError
from layernas.torch.data import load, split

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("name,shape,sizes", [
    ("digits", (1, 8, 8), (1078, 359, 360)),
    ("mnist", (1, 28, 28), (3000, 1000, 1000)),
])
def test_splits(name, shape, sizes):
    data = load(name)
    assert data.input_shape == shape and data.num_classes == 10
    parts = (data.train, data.val, data.test)
    assert tuple(len(p.y) for p in parts) == sizes
    total = torch.cat([p.y for p in parts]).bincount()
    for part, fraction in zip(parts, (0.6, 0.2, 0.2)):
        assert part.x.dtype == torch.float32 and part.y.dtype == torch.int64
        stratified = (part.y.bincount(minlength=10) - fraction * total).abs()
        assert stratified.max() <= 1, stratified
    assert abs(float(data.train.x.mean())) < 1e-4 and abs(float(data.train.x.std()) - 1) < 1e-4


def test_split_is_fixed_and_disjoint():
    x = np.arange(100, dtype=float).reshape(100, 1, 1, 1)
    y = np.arange(100) % 2
    a, b = split("toy", x, y), split("toy", x, y)
    assert torch.equal(a.val.x, b.val.x) and torch.equal(a.test.y, b.test.y)
    values = torch.cat([a.train.x, a.val.x, a.test.x]).flatten()
    assert len(values.unique()) == 100


def test_unknown_dataset():
    with pytest.raises(LayerNASError, match="unknown dataset"):
        load("cifar10")
