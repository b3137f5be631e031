"""Optuna's samplers as layernas strategies: what an Optuna user would otherwise run.

:class:`OptunaStrategy` drives an Optuna sampler through Optuna's ask/tell API on an
in-memory study (one categorical parameter per layer, named after it, holding the option's
index), so the sampler gets layernas's cost filter, dedup, journal, executors and study like
every other baseline: :class:`OptunaTPE` (``optuna-tpe``, multivariate TPE, Optuna's default
for one objective), :class:`OptunaNSGA2` (``optuna-nsga2``, Optuna's genetic algorithm) and
:class:`OptunaGP` (``optuna-gp``, Gaussian-process BO, which one-hot encodes the layers).

What Optuna is told for each outcome:

* trained: ``COMPLETE`` with the reward;
* rejected by the cost filter (free, never trained): ``PRUNED`` with the constraint
  ``cost`` set to how far outside the range the cost is (``Trial.set_constraint``). TPE
  ranks such trials as infeasible, the farthest out the worst, so it learns to stay in
  range; NSGA-II and GP learn only from completed trials and skip them;
* training failed: ``FAIL``, which every Optuna sampler ignores.

Proposals are one at a time (the next after the last is told), as in a single-worker
``study.optimize``: Optuna's samplers read the study's history at ask time, so this keeps a
run decided by its seed whatever the number of workers. Replaying the told outcomes into a
fresh strategy rebuilds the study, so a journaled search resumes like any other.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from layernas.errors import LayerNASError
from layernas.space import Arch
from layernas.strategies.base import Strategy
from layernas.validate import positive_int

OPTUNA_EXTRA = "pip install 'layernas[optuna]'"


def import_optuna() -> Any:
    """The ``optuna`` module, or a clear error naming the extra that installs it."""
    try:
        import optuna
    except ImportError:
        raise LayerNASError(f"Optuna is not installed; install it with {OPTUNA_EXTRA}") from None
    return optuna


@dataclass
class OptunaStrategy(Strategy):
    """An Optuna sampler as a layernas strategy; subclasses name the sampler they build.

    The sampler is seeded from the search's seed; ``study`` is the in-memory Optuna study
    of the current run (for inspection).
    """

    name = "optuna"

    def __post_init__(self) -> None:
        import_optuna()

    @abstractmethod
    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        """The seeded Optuna sampler to drive."""

    def _start(self) -> None:
        optuna = import_optuna()
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # the study is internal
        self.study = optuna.create_study(
            direction="maximize",
            sampler=self._make_sampler(optuna, int(self.rng.integers(2**31 - 1))),
        )
        layers = self.problem.space.layers
        self._distributions = {
            layer.name: optuna.distributions.CategoricalDistribution(
                tuple(range(len(layer.options)))
            )
            for layer in layers
        }
        self._trial: Any = None  # the Optuna trial of the proposal out

    def _ask(self) -> Arch | None:
        if self.outstanding:
            return None
        trial = self.study.ask(self._distributions)
        arch = tuple(
            layer.options[trial.params[layer.name]] for layer in self.problem.space.layers
        )
        self._trial = trial
        return arch

    def _tell(self, arch: Arch, reward: float | None) -> None:
        trial, self._trial = self._trial, None
        state = import_optuna().trial.TrialState
        if reward is not None:
            self.study.tell(trial, reward)
            return
        cost = self.problem.cost(arch)
        if self.admits(arch, cost):  # in range, so its training failed
            self.study.tell(trial, state=state.FAIL)
            return
        lo, hi = self.problem.cost_range
        trial.set_constraint("cost", max(lo - cost, cost - hi))
        self.study.tell(trial, state=state.PRUNED)


@dataclass
class OptunaTPE(OptunaStrategy):
    """Optuna's TPE, multivariate (its default for one objective), after
    ``n_startup_trials`` random trials."""

    n_startup_trials: int = 10

    name = "optuna-tpe"

    def __post_init__(self) -> None:
        super().__post_init__()
        positive_int(self.n_startup_trials, "OptunaTPE n_startup_trials")

    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        return optuna.samplers.TPESampler(
            seed=seed, multivariate=True, n_startup_trials=self.n_startup_trials
        )


@dataclass
class OptunaNSGA2(OptunaStrategy):
    """Optuna's genetic algorithm, NSGA-II (one objective), with ``population`` members."""

    population: int = 50

    name = "optuna-nsga2"

    def __post_init__(self) -> None:
        super().__post_init__()
        if positive_int(self.population, "OptunaNSGA2 population") < 2:
            raise LayerNASError("OptunaNSGA2 population must be >= 2")

    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=self.population)


@dataclass
class OptunaGP(OptunaStrategy):
    """Optuna's Gaussian-process BO (layers one-hot encoded), after ``n_startup_trials``
    random trials. Needs PyTorch and SciPy (the ``torch`` extra)."""

    n_startup_trials: int = 10

    name = "optuna-gp"

    def __post_init__(self) -> None:
        super().__post_init__()
        positive_int(self.n_startup_trials, "OptunaGP n_startup_trials")

    def _make_sampler(self, optuna: Any, seed: int) -> Any:
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=self.n_startup_trials)
