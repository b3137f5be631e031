"""A ready search problem over a PyTorch model space, for configs and the CLI.

``TrainingProblem`` bundles a model space (``.space``; ``.cost`` = MAdds of the built
model, or with ``cost="latency"`` / ``"latency_table"`` its CPU latency in ms, measured or
predicted per block, see :class:`layernas.torch.latency.LatencyCost`), the picklable
training reward (validation accuracy after ``epochs`` of proxy training) and ``export``:
the winner is retrained for ``final_epochs`` from the same seeded initialisation, its test
accuracy measured, and the architecture, weights, TorchScript and metrics written with
:func:`layernas.torch.export.export`. Used from TOML as

    [space]
    factory = "layernas.torch.problem:TrainingProblem"
    args = { space = "mobilenet_v2", dataset = "digits", epochs = 4, final_epochs = 30 }

``space`` is a name in :data:`layernas.torch.spaces.SPACES` or your own ``"module:function"``
returning a :class:`~layernas.torch.spaces.ModelSpace`; ``dataset`` (with ``dataset_args``) is
anything :func:`layernas.torch.data.load` takes, an ``image_folder`` root is taken relative to
the working directory. The training settings (``batch_size``, ``lr``, ``weight_decay``,
``optimizer``, ``device``, ``threads``) are :class:`~layernas.torch.train.TrainSettings`'; the
final training uses them too, with ``final_epochs``. Other arguments go to the space.

``latency_file`` (relative to the working directory) keeps a ``latency_table``'s per-block
table between searches; ``latency_threads`` pins torch's threads while timing;
``latency_calibration`` whole networks calibrate the table's scale. Latencies (measured or
predicted) are cached per architecture in the search's journal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from layernas.space import Arch, SearchSpace
from layernas.torch import export
from layernas.torch.latency import LatencyCost
from layernas.torch.reward import TrainingReward
from layernas.torch.spaces import ModelSpace
from layernas.torch.train import Optimizer, TrainResult, TrainSettings
from layernas.trial import Trial
from layernas.validate import no_winner_in


class TrainingProblem:
    """Search space, cost (MAdds or latency), training reward and winner export."""

    def __init__(self, space: str = "mobilenet_v2", dataset: str = "digits", epochs: int = 4,
                 final_epochs: int = 30, seed: int = 0, cost: str = "madds",
                 latency_threads: int = 1, latency_file: str | None = None,
                 latency_calibration: int = 5, dataset_args: dict[str, Any] | None = None,
                 batch_size: int = 64, lr: float = 0.01, weight_decay: float = 1e-4,
                 optimizer: Optimizer = "adamw", device: str = "cpu", threads: int | None = 1,
                 **space_kwargs: Any) -> None:
        dataset_args = dict(dataset_args or {})
        if dataset == "image_folder" and "root" in dataset_args:  # workers may run elsewhere
            dataset_args["root"] = str(Path(dataset_args["root"]).resolve())
        settings = TrainSettings(epochs=epochs, batch_size=batch_size, lr=lr,
                                 weight_decay=weight_decay, optimizer=optimizer, device=device,
                                 threads=threads)
        settings.torch_device()  # a missing GPU is refused before anything trains
        self.final_settings = dataclasses.replace(settings, epochs=final_epochs)
        self.space_name, self.dataset, self.epochs = space, dataset, epochs
        self.seed, self.space_kwargs = seed, space_kwargs
        self.reward = TrainingReward(space, dataset=dataset, settings=settings, seed=seed,
                               space_kwargs=space_kwargs, dataset_args=dataset_args)
        self.model_space: ModelSpace = self.reward.model_space()
        self.cost_name = cost
        self.latency = None if cost == "madds" else LatencyCost(
            self.model_space, cost, latency_threads,
            None if latency_file is None else Path(latency_file), latency_calibration)

    @property
    def space(self) -> SearchSpace:
        return self.model_space.space

    @property
    def cost(self) -> Callable[[Arch], float]:
        """MAdds of the built model, or its latency in ms (a ``LatencyCost``, which
        carries the ``identity`` that journals recognise measured costs by)."""
        return self.model_space.cost if self.latency is None else self.latency

    def final_training(self, arch: Arch) -> tuple[torch.nn.Module, TrainResult]:
        """The architecture trained for ``final_epochs`` from the search's seeded init."""
        return self.reward.trained(arch, self.final_settings)

    def export(self, best: Trial, out_dir: str | Path, overwrite: bool = False) -> dict[str, Any]:
        """Retrain the winner longer, measure test accuracy, write arch.json, weights.pt and
        model.torchscript.pt (refusing a folder that holds a winner unless ``overwrite``);
        return the metrics."""
        no_winner_in(out_dir, overwrite)  # before the retraining, not after
        module, result = self.final_training(best.arch)
        metrics = {
            "search_val_accuracy": best.reward,
            "search_epochs": self.epochs,
            "final_epochs": result.epochs,
            "final_val_accuracy": result.val_accuracy,
            "test_accuracy": result.test_accuracy,
            "dataset": self.dataset,
        }
        if self.latency is not None:
            metrics[f"{self.cost_name}_ms"] = best.cost
        export.export(self.model_space, best.arch, module, out_dir, metrics, overwrite=overwrite,
                      normalization=self.reward.data().normalization)
        return metrics
