"""LayerNAS (or any layernas strategy) as an Optuna sampler.

::

    sampler = LayerNASSampler(space, cost=cost, cost_range=(lo, hi), strategy=ln.LayerNAS())
    study = optuna.create_study(direction="maximize", sampler=sampler, storage="sqlite:///s.db")
    study.optimize(lambda trial: train(suggest_arch(trial, space)), n_trials=100)

State lives in Optuna's storage. Each trial the sampler claims records its architecture in
the trial's system attributes; a new trial replays the study's finished trials into the
strategy (:class:`~layernas.integrations.replay.Replay`, outcomes told in proposal order) and
claims the first architecture the strategy proposes that is neither finished nor running. So
a killed process resumes with ``optuna.load_study`` and several processes can share one RDB
storage; a repeated proposal is answered from storage, never trained again.

* Claims are checked after they are written: a trial that then sees another trial holding
  the same architecture gives its claim up and claims again, so two processes never train
  one architecture (of two racing claims at least one sees the other).
* At a layer barrier (the strategy waits for running trials) the new trial waits, polling
  the storage every ``poll`` seconds; after ``wait_timeout`` seconds its objective gets a
  :class:`~layernas.errors.LayerNASError` (the trial fails, claiming nothing).
* A trial that is RUNNING in storage but whose process is gone (same host, dead pid; or
  failed by Optuna's heartbeat without having been told) is lost, not failed: its
  architecture is proposed again, and the trial is marked FAIL (also one killed before it
  had claimed an architecture, so no trial of a dead process stays RUNNING). Trials that ended FAIL or PRUNED are failed outcomes.
* Each claimed trial gets the constraint ``cost`` (how far its cost lies outside the
  range, <= 0 inside), so ``study.best_trial`` is the best architecture in range, as
  ``ln.search`` answers (LayerNAS also trains candidates outside the range).
* When the strategy has finished, the trial's first layer suggestion stops the study
  (``study.stop()``) and prunes the trial, untrained.
* The sampler answers only the layers' ``suggest_categorical`` calls; other parameters go to
  the ``fallback`` sampler the user names, else get a clear error.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from layernas.errors import LayerNASError
from layernas.integrations.replay import FINISHED, TRAIN, Next, Replay
from layernas.problem import CostFn
from layernas.space import Arch, SearchSpace, arch_key
from layernas.strategies import Strategy
from layernas.strategies.optuna import import_optuna

optuna = import_optuna()
from optuna.study._constrained_optimization import _CONSTRAINTS_KEY  # noqa: E402

#: Trial system attributes this sampler writes.
CLAIM = "layernas:claim"  # {"arch": [option index per layer], "host": ..., "pid": ...}
OWNER = "layernas:owner"  # {"host": ..., "pid": ...}: the process that runs the trial
TOLD = "layernas:told"  # on a FAIL/PRUNED trial Optuna ended normally (not a dead worker)
SEARCH = "layernas:search"  # study system attribute: what the study searches (checked on resume)
# The trial's constraint "cost" (how far outside the cost range; <= 0 inside), as
# Trial.set_constraint stores it: Optuna's study.best_trial is then the best in range.
COST_CONSTRAINT = f"{_CONSTRAINTS_KEY}:cost"


def suggest_arch(trial: optuna.trial.BaseTrial, space: SearchSpace) -> Arch:
    """The trial's architecture: ``trial.suggest_categorical(layer.name, layer.options)`` per
    layer, as a tuple in layer order (works with any sampler)."""
    if not isinstance(space, SearchSpace):
        raise LayerNASError(f"space must be a layernas.SearchSpace, got {type(space).__name__}")
    return tuple(trial.suggest_categorical(layer.name, layer.options) for layer in space.layers)


class LayerNASSampler(optuna.samplers.BaseSampler):
    """An Optuna sampler that proposes the architectures a layernas strategy asks for.

    ``space``, ``cost``, ``cost_range``, ``strategy`` and ``seed`` mean what they mean for
    ``ln.search``; the same strategy and seed train the same architectures in the same
    order. ``fallback`` samples parameters that are not layers of ``space``.

    ``wait_timeout`` and ``poll`` (seconds): how long a trial waits at a layer barrier, and
    how often it looks. ``orphan_after`` (seconds): a RUNNING trial that names no process
    this long after it started was killed between Optuna creating it and this sampler
    recording its process (a live one records it within milliseconds); it is marked FAIL.
    """

    def __init__(
        self,
        space: SearchSpace,
        cost: CostFn,
        cost_range: tuple[float, float],
        strategy: Strategy | None = None,
        seed: int = 0,
        *,
        fallback: optuna.samplers.BaseSampler | None = None,
        wait_timeout: float = 3600.0,
        poll: float = 0.2,
        max_stall: int = 10_000,
        orphan_after: float = 60.0,
    ) -> None:
        self._args = (space, cost, cost_range, strategy, seed, max_stall)
        self._replay = Replay(*self._args)  # validates all, before any trial runs
        self._study: tuple[int, int] | None = None  # (storage, study id) the replay follows
        self.space = space
        self._layers = {layer.name: layer for layer in space.layers}
        self.fallback = fallback
        self.wait_timeout = wait_timeout
        self.poll = poll
        self.orphan_after = orphan_after
        self._lock = threading.Lock()
        self._decided: dict[int, Next | str] = {}  # trial id -> its claim, or an error to raise
        self._owner = {"host": socket.gethostname(), "pid": os.getpid()}

    # -- Optuna's sampler interface ----------------------------------------------------
    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return {}

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict:
        return {}

    def before_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if study._is_multi_objective():
            self._decided[trial._trial_id] = (
                "LayerNASSampler optimises one objective; create the study with one direction"
            )
            return
        study._storage.set_trial_system_attr(trial._trial_id, OWNER, self._owner)
        with self._lock:  # threads of one process (n_jobs) claim one at a time
            self._decided[trial._trial_id] = self._check(study) or self._claim(study, trial)
        if self.fallback is not None:
            self.fallback.before_trial(study, trial)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        param_name: str,
        param_distribution: optuna.distributions.BaseDistribution,
    ) -> Any:
        decided = self._decided.get(trial._trial_id)
        layer = self._layers.get(param_name)
        if layer is None:
            if self.fallback is not None:
                return self.fallback.sample_independent(
                    study, trial, param_name, param_distribution
                )
            self._unclaim(study, trial)
            raise LayerNASError(
                f"the objective asks for {param_name!r}, which is not a layer of the space "
                f"(layers: {', '.join(self._layers)}); suggest the layers with "
                "suggest_arch(trial, space), or pass fallback=optuna.samplers.TPESampler() "
                "to LayerNASSampler to sample other parameters"
            )
        choices = getattr(param_distribution, "choices", None)
        if choices is None or tuple(choices) != layer.options:
            self._unclaim(study, trial)
            raise LayerNASError(
                f"the objective suggests layer {param_name!r} with {param_distribution}, but "
                f"the space's layer has the options {list(layer.options)}; use "
                "trial.suggest_categorical(layer.name, layer.options) (suggest_arch does)"
            )
        if isinstance(decided, str):
            raise LayerNASError(decided)
        if decided is None or decided.action == FINISHED:
            reason = "trial was not asked through this sampler" if decided is None else (
                decided.reason)
            try:
                study.stop()
            except RuntimeError:  # not inside study.optimize (ask-and-tell)
                pass
            raise optuna.TrialPruned(f"LayerNAS has nothing more to train ({reason})")
        assert decided.arch is not None
        return decided.arch[list(self._layers).index(param_name)]

    def after_trial(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        state: optuna.trial.TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if state != optuna.trial.TrialState.COMPLETE:  # a completed trial is never lost
            study._storage.set_trial_system_attr(trial._trial_id, TOLD, True)
        self._decided.pop(trial._trial_id, None)
        if self.fallback is not None:
            self.fallback.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        """Nothing to reseed: proposals are decided by the seed and the stored outcomes."""

    # -- claiming an architecture -----------------------------------------------------------
    def _check(self, study: optuna.Study) -> str:
        """On a study first seen: refuse one that searched something else (else record what
        this one searches), and start the replay afresh. Returns an error, or ''."""
        if self._study == (id(study._storage), study._study_id):
            return ""
        replay = self._replay
        search = {
            "space": self.space.describe(),
            "cost_range": list(replay.problem.cost_range),
            "strategy": replay.strategy.config(),
            "seed": replay.seed,
        }
        stored = study._storage.get_study_system_attrs(study._study_id).get(SEARCH)
        if stored is None:
            study._storage.set_study_system_attr(study._study_id, SEARCH, search)
        elif stored != json.loads(json.dumps(search, default=repr)):
            return (
                f"study {study.study_name!r} was searched with {stored}, not {search}; use the "
                "same space, cost range, strategy and seed to resume it, or a new study"
            )
        if self._study is not None:
            self._replay = Replay(*self._args)
        self._study = (id(study._storage), study._study_id)
        return ""

    def _claim(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> Next | str:
        """Replay the storage and claim the next architecture (waiting at a barrier)."""
        storage = study._storage
        deadline = time.monotonic() + self.wait_timeout
        while True:
            outcomes, running = self._read(study, trial._trial_id)
            step = self._replay.next(outcomes, running)
            if step.action == TRAIN:
                assert step.arch is not None
                storage.set_trial_system_attr(
                    trial._trial_id, CLAIM, {"arch": self._indices(step.arch), **self._owner}
                )
                storage.set_trial_system_attr(
                    trial._trial_id, COST_CONSTRAINT, self._violation(step.arch)
                )
                _, rivals = self._read(study, trial._trial_id)
                if arch_key(step.arch) not in rivals:
                    return step
                storage.set_trial_system_attr(trial._trial_id, CLAIM, None)
                time.sleep(self.poll * (0.5 + (trial.number % 7) / 7))  # let the rival win
            elif step.action == FINISHED:
                return step
            elif time.monotonic() > deadline:
                return (
                    f"LayerNASSampler waited {self.wait_timeout:g} s at a layer barrier for the "
                    f"running trials of {len(step.waiting)} architectures (e.g. "
                    f"{step.waiting[0]!r}); make sure their processes still run, or raise "
                    "wait_timeout"
                )
            else:
                time.sleep(self.poll)

    def _read(self, study: optuna.Study, own_id: int) -> tuple[dict[str, float | None], set[str]]:
        """From storage: the outcome of every finished architecture, and the architectures
        that live trials other than ``own_id`` hold."""
        sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
        state = optuna.trial.TrialState
        outcomes: dict[str, float | None] = {}
        running: set[str] = set()
        for frozen in study._storage.get_all_trials(study._study_id, deepcopy=False):
            if frozen._trial_id == own_id:
                continue
            claim = frozen.system_attrs.get(CLAIM)
            owner = frozen.system_attrs.get(OWNER) or claim
            lost = frozen.state == state.RUNNING and (
                self._dead(owner) if owner else self._orphan(frozen)
            )
            if lost:  # as Optuna's heartbeat fails stale trials; claimed or not
                self._fail(study, frozen)
            if not claim:
                continue
            key = arch_key(self._arch(claim["arch"]))
            if frozen.state == state.COMPLETE:
                outcomes[key] = sign * frozen.value if math.isfinite(frozen.value) else None
            elif frozen.state in (state.FAIL, state.PRUNED):
                if frozen.system_attrs.get(TOLD):
                    outcomes.setdefault(key, None)
            elif not lost:
                running.add(key)
        return outcomes, running

    @staticmethod
    def _fail(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        try:
            study._storage.set_trial_state_values(frozen._trial_id, optuna.trial.TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            pass  # another process got there first

    def _orphan(self, frozen: optuna.trial.FrozenTrial) -> bool:
        """A running trial that names no process long after it started (Optuna's clock)."""
        started = frozen.datetime_start
        return started is not None and (
            datetime.datetime.now() - started
        ).total_seconds() > self.orphan_after

    def _dead(self, owner: dict[str, Any]) -> bool:
        """Whether ``owner`` (host and pid) is a process that is gone (only decidable on this
        host)."""
        if (
            owner.get("host") != self._owner["host"]
            or owner.get("pid") == self._owner["pid"]
        ):
            return False
        try:
            os.kill(owner["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _unclaim(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        """Give the claim up: the trial fails for a reason that is not the architecture's."""
        study._storage.set_trial_system_attr(trial._trial_id, CLAIM, None)

    def _violation(self, arch: Arch) -> float:
        lo, hi = self._replay.problem.cost_range
        cost = self._replay.problem.cost(arch)
        return max(lo - cost, cost - hi)

    def _indices(self, arch: Arch) -> list[int]:
        return [layer.index(option) for layer, option in zip(self.space.layers, arch)]

    def _arch(self, indices: list[int]) -> Arch:
        return tuple(layer.options[i] for layer, i in zip(self.space.layers, indices))
