"""A ready search problem over a PyTorch model space, for configs and the CLI.

``TrainingProblem`` bundles a model space (``.space``; ``.cost`` = MAdds of the built
model, or with ``cost="latency"`` / ``"latency_table"`` its CPU latency in ms, measured or
predicted per block, see :class:`layernas.torch.latency.LatencyCost`), the picklable
training reward (validation accuracy after ``epochs`` of proxy training) and ``export``:
the winner is retrained for ``final_epochs`` from the same seeded initialisation, its test
accuracy measured, and the architecture, weights and metrics written with
:func:`layernas.torch.export.export`. Used from TOML as

    [space]
    factory = "layernas.torch.problem:TrainingProblem"
    args = { space = "mobilenet_v2", dataset = "digits", epochs = 4, final_epochs = 30 }

``latency_file`` (relative to the working directory) keeps a ``latency_table``'s per-block
table between searches; ``latency_threads`` pins torch's threads while timing;
``latency_calibration`` whole networks calibrate the table's scale. Latencies (measured or
predicted) are cached per architecture in the search's journal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from layernas.space import Arch, SearchSpace
from layernas.torch import export
from layernas.torch.data import load
from layernas.torch.latency import LatencyCost
from layernas.torch.reward import TrainingReward
from layernas.torch.spaces import ModelSpace
from layernas.torch.train import TrainResult, train
from layernas.trial import Trial


class TrainingProblem:
    """Search space, cost (MAdds or latency), training reward and winner export."""

    def __init__(self, space: str = "mobilenet_v2", dataset: str = "digits", epochs: int = 4,
                 final_epochs: int = 30, seed: int = 0, cost: str = "madds",
                 latency_threads: int = 1, latency_file: str | None = None,
                 latency_calibration: int = 5, **space_kwargs: Any) -> None:
        self.space_name, self.dataset, self.epochs = space, dataset, epochs
        self.final_epochs, self.seed, self.space_kwargs = final_epochs, seed, space_kwargs
        self.reward = TrainingReward(space, dataset=dataset, epochs=epochs, seed=seed,
                               space_kwargs=space_kwargs)
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
        torch.manual_seed(self.seed)
        module = self.model_space.build(arch)
        result = train(module, load(self.dataset), self.final_epochs, self.seed)
        return module, result

    def export(self, best: Trial, out_dir: str | Path) -> dict[str, Any]:
        """Retrain the winner longer, measure test accuracy, write arch.json + weights.pt;
        returns the metrics (also in arch.json)."""
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
        export.export(self.model_space, best.arch, module, out_dir, metrics)
        return metrics
