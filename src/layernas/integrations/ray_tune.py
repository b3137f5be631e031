"""LayerNAS (or any layernas strategy) as a Ray Tune searcher.

::

    searcher = LayerNASSearch(space, cost=cost, cost_range=(lo, hi), metric="accuracy")
    tuner = tune.Tuner(train, tune_config=tune.TuneConfig(search_alg=searcher, num_samples=100,
                                                          max_concurrent_trials=2))
    best = searcher.best_result(tuner.fit())

A trial's config holds one entry per layer, keyed by the layer's name. ``suggest`` answers
the first architecture the strategy proposes that is neither finished nor running, ``None``
at a layer barrier (Tune asks again later) and ``FINISHED`` when the strategy is done;
results are told to the strategy in proposal order whatever order trials finish in
(:class:`~layernas.integrations.replay.Replay`), so the same strategy and seed train the same
architectures as ``ln.search``. ``save``/``restore`` keep the outcomes and the live trials,
so ``Tuner.restore(...)`` resumes. A trial that errors is a failed outcome.
"""

from __future__ import annotations

import math
import pickle
from typing import Any

from layernas.errors import LayerNASError
from layernas.integrations.replay import FINISHED, TRAIN, Replay
from layernas.problem import CostFn
from layernas.space import Arch, SearchSpace, arch_key
from layernas.strategies import Strategy

try:
    from ray.tune import ResultGrid
    from ray.tune.search import Searcher
except ImportError:
    raise LayerNASError(
        "Ray Tune is not installed; install it with pip install 'layernas[ray]'"
    ) from None


class LayerNASSearch(Searcher):
    """A Ray Tune searcher proposing the architectures a layernas strategy asks for.

    ``space``, ``cost``, ``cost_range``, ``strategy`` and ``seed`` mean what they mean for
    ``ln.search``; ``metric`` is the reported result to maximise (``mode="max"``) or
    minimise (``"min"``). It is required here: Tune passes ``TuneConfig(metric=...)`` to a
    searcher only together with a ``param_space``.
    """

    def __init__(
        self,
        space: SearchSpace,
        cost: CostFn,
        cost_range: tuple[float, float],
        strategy: Strategy | None = None,
        *,
        metric: str,
        mode: str = "max",
        seed: int = 0,
        max_stall: int = 10_000,
    ) -> None:
        if not isinstance(metric, str) or not metric:
            raise LayerNASError(
                f"metric must name the result to optimise (e.g. metric='accuracy'), got {metric!r}"
            )
        if mode not in ("max", "min"):
            raise LayerNASError(f"mode must be 'max' or 'min', got {mode!r}")
        super().__init__(metric=metric, mode=mode)
        self._args = (space, cost, cost_range, strategy, seed, max_stall)
        self._replay = Replay(*self._args)  # validates all, before any trial runs
        self.space = space
        self._outcomes: dict[str, float | None] = {}  # arch key -> reward (None: failed)
        self._live: dict[str, Arch] = {}  # trial id -> architecture being trained

    # -- Tune's searcher interface -------------------------------------------------------
    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict, **spec: Any
    ) -> bool:
        return True  # the space is the layers; other config entries pass through to trials

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        step = self._replay.next(self._outcomes, {arch_key(a) for a in self._live.values()})
        if step.action == FINISHED:
            return Searcher.FINISHED
        if step.action != TRAIN:
            return None  # a layer barrier: Tune asks again when a trial has finished
        assert step.arch is not None
        self._live[trial_id] = step.arch
        return {layer.name: option for layer, option in zip(self.space.layers, step.arch)}

    def on_trial_complete(
        self, trial_id: str, result: dict | None = None, error: bool = False
    ) -> None:
        arch = self._live.pop(trial_id, None)
        if arch is None:
            return
        key = arch_key(arch)
        value = None if error or not result else result.get(self._metric)
        if value is None and not error and result:
            raise LayerNASError(
                f"trial {trial_id} reported no {self._metric!r} (it reported "
                f"{sorted(k for k in result if not k.startswith('_'))[:12]}); report it with "
                "tune.report({...})"
            )
        if value is not None and math.isfinite(value):
            self._outcomes[key] = float(value) if self._mode == "max" else -float(value)
        else:
            self._outcomes[key] = None

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        return False  # Tune's ConcurrencyLimiter limits; proposals do not depend on it

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.get_state(), f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            self.set_state(pickle.load(f))

    def get_state(self) -> dict[str, Any]:
        return {
            "metric": self._metric,
            "mode": self._mode,
            "outcomes": dict(self._outcomes),
            "live": dict(self._live),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self._metric, self._mode = state["metric"], state["mode"]
        self._outcomes, self._live = dict(state["outcomes"]), dict(state["live"])
        self._replay = Replay(*self._args)  # replays the stored outcomes on the next suggest

    # -- the answer ------------------------------------------------------------------------
    def best_result(self, results: ResultGrid) -> Any:
        """The best of ``results`` whose architecture lies in the cost range (``ln.search``'s
        answer), or None. ``results.get_best_result()`` would also consider the candidates
        outside the range that LayerNAS trains on its way."""
        problem = self._replay.problem
        best, best_value = None, None
        for result in results:
            config, metrics = result.config or {}, result.metrics or {}
            if result.error is not None or self._metric not in metrics:
                continue
            try:
                arch = tuple(config[layer.name] for layer in self.space.layers)
            except KeyError:
                continue
            value = metrics[self._metric]
            if not (problem.in_range(problem.cost(arch)) and math.isfinite(value)):
                continue
            value = value if self._mode == "max" else -value
            if best_value is None or value > best_value:
                best, best_value = result, value
        return best
