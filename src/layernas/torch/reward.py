"""TrainingReward: a picklable reward function that trains (for process pools and Ray).

It holds only plain values (model-space constructor name and arguments, dataset name and
arguments, training settings) and rebuilds the space and data in whichever process calls it.
Calling it on an architecture seeds torch, builds the network, trains it with
:func:`layernas.torch.train.train` and returns the validation accuracy in percent.
The space's ``input_shape`` and ``num_classes`` come from the dataset unless
``space_kwargs`` sets them.

    reward = TrainingReward("mobilenet_v2", dataset="digits", settings=TrainSettings(epochs=5))
    model_space = reward.model_space()
    ln.search(model_space.space, reward=reward, cost=model_space.cost, cost_range=(lo, hi))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
from torch import nn

from layernas.space import Arch
from layernas.torch.data import Dataset, load
from layernas.torch.spaces import ModelSpace, make
from layernas.torch.train import TrainResult, TrainSettings, train


@dataclass(frozen=True)
class TrainingReward:
    """Validation accuracy (percent) of an architecture after proxy training."""

    units = "%"

    space: str = "mobilenet_v2"
    dataset: str = "digits"
    settings: TrainSettings = field(default_factory=TrainSettings)
    seed: int = 0
    space_kwargs: dict[str, Any] = field(default_factory=dict, hash=False)
    dataset_args: dict[str, Any] = field(default_factory=dict, hash=False)

    def data(self) -> Dataset:
        return load(self.dataset, **self.dataset_args)

    @property
    def identity(self) -> dict[str, Any]:
        """The settings its rewards depend on (all but ``threads``): a search's journal
        refuses a resume with other settings, naming the one that differs."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "settings"}
        training = {k: v for k, v in asdict(self.settings).items() if k != "threads"}
        return {"reward": type(self).__name__, **values, **training}

    def model_space(self) -> ModelSpace:
        """The model space, shaped for the dataset."""
        data = self.data()
        return make(self.space, **{"input_shape": data.input_shape,
                                   "num_classes": data.num_classes, **self.space_kwargs})

    def trained(self, arch: Arch, settings: TrainSettings | None = None,
                ) -> tuple[nn.Module, TrainResult]:
        """``arch`` trained from the seeded initialisation (by ``settings``, default the
        search's); the module (on the CPU) and its metrics."""
        model_space = self.model_space()
        torch.manual_seed(self.seed)
        module = model_space.build(arch)
        return module, train(module, self.data(), settings or self.settings, self.seed)

    def __call__(self, arch: Arch) -> float:
        return self.trained(arch)[1].val_accuracy
