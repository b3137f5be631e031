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


def test_image_folder_layout(tmp_path):
    """Classes in sorted folder order; grey and RGB images converted and resized."""
    from PIL import Image

    for label, (name, value) in enumerate((("ant", 20), ("bee", 120), ("cat", 220))):
        (tmp_path / name).mkdir()
        for i in range(5):
            pixels = np.full((6, 10, 3), value + i, dtype=np.uint8)
            image = Image.fromarray(pixels)
            (image.convert("L") if i % 2 else image).save(tmp_path / name / f"{i}.png")
    data = load("image_folder", root=str(tmp_path), size=[4, 5])
    assert data.input_shape == (3, 4, 5) and data.num_classes == 3
    assert [len(part) for part in (data.train, data.val, data.test)] == [9, 3, 3]
    mean, std = data.normalization
    x, y = data.train.x, data.train.y
    raw = x[:, 0, 0, 0] * std + mean  # back to [0, 1]: the class decides the brightness
    for label in range(3):
        assert ((raw[y == label] * 255 - (20 + 100 * label)).abs() < 5.5).all()
    grey = load("image_folder", root=str(tmp_path), size=4, channels=1)
    assert grey.input_shape == (1, 4, 4)


@pytest.mark.parametrize("make,message", [
    (lambda root: None, "does not exist"),
    (lambda root: (root / "only").mkdir(parents=True), "at least two class sub-folders"),
    (lambda root: [(root / c).mkdir(parents=True) or (root / c / "x.png").write_bytes(b"no png")
                   for c in ("a", "b")], "cannot read image"),
])
def test_image_folder_errors_say_what_to_do(tmp_path, make, message):
    root = tmp_path / "images"
    make(root)
    with pytest.raises(LayerNASError, match=message):
        load("image_folder", root=str(root))


def test_too_few_images_per_class(tmp_path):
    from PIL import Image

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for i in range(2):
            Image.new("RGB", (4, 4), (i, i, i)).save(tmp_path / name / f"{i}.png")
    with pytest.raises(LayerNASError, match="at least 5 examples"):
        load("image_folder", root=str(tmp_path))


def test_dataset_factory_must_return_a_dataset(tmp_path, monkeypatch):
    (tmp_path / "not_a_dataset_factory.py").write_text("def wrong():\n    return [1, 2, 3]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(LayerNASError, match="returned list; return a layernas.torch.data.Dataset"):
        load("not_a_dataset_factory:wrong")
