"""Running a study: every (strategy, run) pair as one search, over a pool of processes.

Each pair is an independent, fully seeded search on the benchmark (see
:mod:`layernas.study.spec`), so the records are identical for any number of worker
processes; they are returned sorted by strategy (in the spec's order), then run. A worker
process loads the benchmark once and then runs many pairs.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from tqdm.auto import tqdm

from layernas.benchmarks import Benchmark, Oracle, load
from layernas.runner import search
from layernas.study.noise import NoisyReward
from layernas.study.simclock import DurationModel, SimulatedExecutor, SimulatedPool
from layernas.study.spec import StudySpec, run_seed
from layernas.trial import Trial, beats
from layernas.validate import positive_int


@dataclass(frozen=True)
class RunRecord:
    """One strategy's run: counts, its answer, and its best-so-far trajectory.

    ``steps[j]`` is the number of trained candidates at which the best in-range candidate
    (by observed reward) changed for the j-th time; ``step_rewards[j]`` is that candidate's
    observed reward and ``step_finals[j]`` its final metric. ``best_*`` describe the answer
    (None when no trained candidate was in range).

    With a simulated clock (``StudySpec.sim_workers``), ``times[j]`` is the virtual time at
    which the answer changed for the j-th time (trials ordered by when they finished) and
    ``time_finals[j]`` the new answer's final metric; ``utilisation`` is the workers' mean
    utilisation and ``makespan`` the time the last trial ended (see
    :mod:`layernas.study.simclock`).
    """

    strategy: str
    run: int
    seed: int
    trained: int
    rejected: int
    reused: int
    stop_reason: str
    bound: int | None
    best_arch: tuple[Any, ...] | None
    best_cost: float | None
    best_reward: float | None
    best_final: float | None
    steps: tuple[int, ...]
    step_rewards: tuple[float, ...]
    step_finals: tuple[float, ...]
    times: tuple[float, ...] = ()
    time_finals: tuple[float, ...] = ()
    utilisation: float | None = None
    makespan: float | None = None


@dataclass
class StudyResult:
    """A finished study: its spec, the benchmark, the true optimum and every run's record."""

    spec: StudySpec
    bench: Benchmark
    cost_range: tuple[float, float]
    oracle: Oracle
    records: list[RunRecord]
    seconds: float

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.spec.strategies]

    def of(self, label: str) -> list[RunRecord]:
        """The records of strategy ``label``, by run."""
        return [r for r in self.records if r.strategy == label]


@dataclass
class _Context:
    """What a process needs to run pairs: the spec, the loaded benchmark and the range."""

    spec: StudySpec
    bench: Benchmark
    cost_range: tuple[float, float]

    @classmethod
    def load(cls, spec: StudySpec) -> _Context:
        bench = load(spec.benchmark, spec.dataset, spec.data_dir, spec.cost)
        return cls(spec, bench, spec.range_for(bench.max_cost))

    def run(self, pair: tuple[int, int]) -> RunRecord:
        """Search with strategy ``pair[0]`` (an index into the spec) in run ``pair[1]``."""
        index, run = pair
        strategy = self.spec.strategies[index]
        seed = run_seed(self.spec.seed, run)
        bench = self.bench.with_seed(seed)
        reward = (
            NoisyReward(bench, self.spec.reward_noise) if self.spec.reward_noise else bench.reward
        )
        clock = SimulatedExecutor(DurationModel(bench, seed)) if self.spec.sim_workers else None
        result = search(
            bench.space,
            reward=reward,
            cost=bench.cost,
            cost_range=self.cost_range,
            strategy=strategy.build(),
            budget=self.spec.budget,
            seed=seed,
            progress=False,
            max_stall=self.spec.max_stall,
            executor=clock,
            workers=self.spec.sim_workers or 1,
        )
        steps: list[int] = []
        rewards: list[float] = []
        finals: list[float] = []
        best = None
        for n, trial in enumerate(result.trials, start=1):
            if beats(trial, best, self.cost_range):
                best = trial
                steps.append(n)
                rewards.append(trial.reward)
                finals.append(bench.final(trial.arch))
        return RunRecord(
            strategy=strategy.label,
            run=run,
            seed=seed,
            trained=result.trained,
            rejected=result.rejected,
            reused=result.reused,
            stop_reason=result.stop_reason,
            bound=result.bound,
            best_arch=None if best is None else best.arch,
            best_cost=None if best is None else best.cost,
            best_reward=None if best is None else best.reward,
            best_final=None if best is None else bench.final(best.arch),
            steps=tuple(steps),
            step_rewards=tuple(rewards),
            step_finals=tuple(finals),
            **({} if clock is None else self._timeline(result.trials, clock.pool, bench)),
        )

    def _timeline(
        self, trials: list[Trial], clock: SimulatedPool, bench: Benchmark
    ) -> dict[str, Any]:
        """The answer against simulated time: trials in the order they finished."""
        lo, hi = self.cost_range
        times: list[float] = []
        finals: list[float] = []
        best = None
        for trial in sorted(trials, key=lambda t: (clock.finished_at[t.number], t.number)):
            if trial.ok and lo <= trial.cost <= hi and (best is None or trial.reward > best):
                best = trial.reward
                times.append(clock.finished_at[trial.number])
                finals.append(bench.final(trial.arch))
        return {
            "times": tuple(times),
            "time_finals": tuple(finals),
            "utilisation": clock.utilisation,
            "makespan": max(clock.finished_at.values(), default=0.0),
        }


_WORKER: _Context | None = None


def _init_worker(spec: StudySpec) -> None:
    global _WORKER
    _WORKER = _Context.load(spec)


def _run_in_worker(pair: tuple[int, int]) -> RunRecord:
    assert _WORKER is not None, "worker was not initialised"
    return _WORKER.run(pair)


def run_study(spec: StudySpec, workers: int = 1, progress: bool | None = None) -> StudyResult:
    """Run every strategy of ``spec`` ``spec.runs`` times on ``workers`` processes."""
    positive_int(workers, "workers")
    start = time.perf_counter()
    context = _Context.load(spec)
    oracle = context.bench.oracle(context.cost_range)
    pairs = [(i, run) for run in range(spec.runs) for i in range(len(spec.strategies))]
    bar = tqdm(
        total=len(pairs),
        unit="run",
        desc="study",
        disable=None if progress is None else not progress,
    )
    with bar, ExitStack() as stack:
        if workers == 1:
            done: Iterator[RunRecord] = map(context.run, pairs)
        else:
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(spec,),
                )
            )
            done = pool.map(_run_in_worker, pairs, chunksize=max(1, len(pairs) // (workers * 16)))
        records = []
        for record in done:
            records.append(record)
            bar.update(1)
    order = {label: i for i, label in enumerate(s.label for s in spec.strategies)}
    records.sort(key=lambda r: (order[r.strategy], r.run))
    return StudyResult(
        spec, context.bench, context.cost_range, oracle, records, time.perf_counter() - start
    )
