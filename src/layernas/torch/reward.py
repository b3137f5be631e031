"""TrainingReward: a picklable reward function that trains (for process pools and Ray).

It holds only plain values (model-space constructor name and arguments, dataset name,
training settings) and rebuilds the space and data in whichever process calls it.
Calling it on an architecture seeds torch, builds the network, trains it with
:func:`layernas.torch.train.train` and returns the validation accuracy in percent.
The space's ``input_shape`` and ``num_classes`` come from the dataset unless
``space_kwargs`` sets them.

    reward = TrainingReward("mobilenet_v2", dataset="digits", epochs=5, seed=0)
    model_space = reward.model_space()
    ln.search(model_space.space, reward=reward, cost=model_space.cost, cost_range=(lo, hi))
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import torch

from layernas.space import Arch
from layernas.torch.data import load
from layernas.torch.spaces import ModelSpace, make
from layernas.torch.train import TrainResult, train


@dataclass(frozen=True)
class TrainingReward:
    """Validation accuracy (percent) of an architecture after proxy training."""

    units = "%"

    space: str = "mobilenet_v2"
    dataset: str = "digits"
    epochs: int = 5
    seed: int = 0
    space_kwargs: dict[str, Any] = field(default_factory=dict, hash=False)
    batch_size: int = 64
    lr: float = 0.01
    threads: int | None = 1

    @property
    def identity(self) -> dict[str, Any]:
        """The settings its rewards depend on (all but ``threads``): a search's journal
        refuses a resume with other settings, naming the one that differs."""
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "threads"}
        return {"reward": type(self).__name__, **settings}

    def model_space(self) -> ModelSpace:
        """The model space, shaped for the dataset."""
        data = load(self.dataset)
        return make(self.space, **{"input_shape": data.input_shape,
                                   "num_classes": data.num_classes, **self.space_kwargs})

    def result(self, arch: Arch) -> TrainResult:
        """Train ``arch`` from a seeded initialisation; all metrics."""
        model_space = self.model_space()
        torch.manual_seed(self.seed)
        module = model_space.build(arch)
        return train(module, load(self.dataset), self.epochs, self.seed,
                     batch_size=self.batch_size, lr=self.lr, threads=self.threads)

    def __call__(self, arch: Arch) -> float:
        return self.result(arch).val_accuracy
