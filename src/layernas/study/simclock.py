"""A simulated clock: a search run as N workers would run it, in virtual time, exactly.

A study with ``sim_workers=N`` runs each search through the real runner with a
:class:`SimulatedExecutor` in place of a process pool: the runner asks, looks ahead,
starts the costliest pending candidates first on free workers and tells outcomes in
proposal order exactly as it does with real workers, and a strategy that answers None at
a barrier leaves workers idle. Its pool answers the reward at once and gives each trial a
virtual duration from :class:`DurationModel`; ``collect`` advances the clock to the next
finish. Nothing sleeps, and the whole timeline is a function of the run's seed.

Out of a run come the trials' finish times (regret against simulated wall-clock time)
and the mean worker utilisation: busy worker-time / (N x the time the last trial ends).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from layernas.benchmarks import Benchmark
from layernas.executors.base import Executor, Outcome, RewardFn
from layernas.space import Arch

_JITTER_SALT = 0x434C4F43  # keeps the duration stream apart from reward noise and strategies

#: Per-trial overhead (data loading, start-up, evaluation), in units of the largest model's
#: training time: a trial of the largest network takes 1 + OVERHEAD before jitter.
OVERHEAD = 0.2
#: Sigma of the lognormal jitter on every trial's duration (mean-preserving).
JITTER = 0.2


@dataclass
class DurationModel:
    """Trial duration = (``overhead`` + cost / largest cost) x lognormal jitter.

    Training time grows with a network's FLOPs (the benchmark's cost), plus a constant
    per trial; the jitter (sigma ``jitter``, mean 1) is drawn once per run seed over the
    whole space, so an architecture's duration is fixed within a run.
    """

    bench: Benchmark
    seed: int
    overhead: float = OVERHEAD
    jitter: float = JITTER
    _factors: np.ndarray | None = field(default=None, init=False, repr=False)

    def __call__(self, arch: Arch) -> float:
        if self._factors is None:
            z = np.random.default_rng([_JITTER_SALT, int(self.seed)]).standard_normal(
                self.bench.space.size
            )
            self._factors = np.exp(self.jitter * z - self.jitter**2 / 2)
        base = self.overhead + self.bench.cost(arch) / self.bench.max_cost
        return base * float(self._factors[self.bench.index(arch)])

    def mean(self, costs: np.ndarray) -> float:
        """The expected duration of a trial whose cost is drawn from ``costs``."""
        return self.overhead + float(np.mean(costs)) / self.bench.max_cost


class SimulatedExecutor(Executor):
    """N workers in virtual time: pass it as ``search(executor=...)`` with ``workers=N``.

    After the search, ``pool`` is the :class:`SimulatedPool` that ran it.
    """

    name = "simulated"

    def __init__(self, duration: Callable[[Arch], float]) -> None:
        self.duration = duration
        self.pool: SimulatedPool | None = None

    def start(self, reward: RewardFn, workers: int, timeout: float | None) -> SimulatedPool:
        self.pool = SimulatedPool(reward, workers, self.duration)
        return self.pool


class SimulatedPool:
    """The started clock (the runner's pool protocol): ``finished_at[number]`` is the
    virtual time trial ``number`` ended; ``busy`` sums the trials' durations."""

    def __init__(self, reward: RewardFn, workers: int, duration: Callable[[Arch], float]) -> None:
        self.reward = reward
        self.workers = workers
        self.duration = duration
        self.now = 0.0
        self.busy = 0.0
        self.finished_at: dict[int, float] = {}
        self._running: list[tuple[float, int, Outcome]] = []

    def submit(self, number: int, arch: Arch) -> None:
        took = self.duration(arch)
        self.busy += took
        outcome = Outcome(number, value=self.reward(arch), duration=took, worker="simulated")
        heapq.heappush(self._running, (self.now + took, number, outcome))

    def collect(self) -> list[Outcome]:
        """Advance the clock to the next finish; the trials that end then."""
        done = [heapq.heappop(self._running)]
        while self._running and self._running[0][0] == done[0][0]:
            done.append(heapq.heappop(self._running))
        self.now = done[0][0]
        for end, number, _ in done:
            self.finished_at[number] = end
        return [outcome for _, _, outcome in done]

    def close(self) -> None:
        pass

    @property
    def utilisation(self) -> float:
        """Busy worker-time over N x the end of the last trial (1.0: never idle)."""
        end = max(self.finished_at.values(), default=0.0)
        return self.busy / (self.workers * end) if end > 0 else math.nan
