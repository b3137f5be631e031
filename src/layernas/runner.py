"""The search runner: ``search(...)`` drives a strategy, an executor and a journal.

``search`` reads top to bottom: check the settings, open the journal (which refuses another
search's file, or one a live search writes), build the problem (its costs backed by the
journal), run the loop, build the result. The loop asks the strategy for candidates,
rejects those the cost filter refuses (counted, never charged to the budget), answers
repeated architectures from known results, dispatches the rest to the executor, records
every trial in the journal and tells outcomes back strictly in proposal order, so the search
is the same whatever order workers finish in. With a journal from an interrupted run it
resumes: proposals are replayed and trials the journal holds as finished are adopted
instead of trained (failed ones are trained again unless ``retry_failed=False``).
"""

from __future__ import annotations

import math
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from layernas.errors import LayerNASError, SearchStopped, TrialsFailed
from layernas.executors import Executor, Outcome, Pool, default_executor, make_executor
from layernas.journal import Journal, JournalRow, declared_units, fingerprint
from layernas.problem import CostCache, CostFn, CostRange, Problem, as_number
from layernas.progress import Progress
from layernas.space import Arch, SearchSpace, arch_key
from layernas.strategies import LayerNAS, Strategy
from layernas.strategies.base import KeptRow
from layernas.trial import FAILED, OK, Trial, beats, best_in_range, trials_dataframe
from layernas.validate import (
    boolean,
    non_negative_int,
    number,
    optional_positive_int,
    positive_int,
)

#: A trial whose worker dies this many times is recorded as failed (see ``search``).
MAX_WORKER_DEATHS = 3
#: With several workers, candidates asked ahead per worker: the runner starts the costliest
#: of them first, so a layer's last, longest trainings do not run alone at its barrier.
LOOKAHEAD_PER_WORKER = 4
#: The stop reason of a search whose strategy has proposed all it will (nothing to resume).
STRATEGY_FINISHED = "strategy finished"


@dataclass
class SearchResult:
    """What a search found, and what it cost.

    ``trials`` holds every trial of the search, in order, including the ``from_journal``
    ones a resumed search took from its journal instead of training them now.
    """

    best: Trial | None
    trials: list[Trial]
    rejected: int
    reused: int
    bound: int | None
    stop_reason: str
    cost_range: tuple[float, float]
    snapshot: list[KeptRow] = field(default_factory=list)  # the strategy's state at the end
    worker_deaths: int = 0  # attempts whose worker died (re-run, up to MAX_WORKER_DEATHS)
    retried: int = 0  # attempts re-run because the training failed (``retries``)
    from_journal: int = 0  # trials taken from the journal (a resume), not trained now
    layers: tuple[str, ...] = ()  # the space's layer names, in order (dataframe columns)

    @property
    def trained(self) -> int:
        return len(self.trials)

    @property
    def trained_now(self) -> int:
        return len(self.trials) - self.from_journal

    @property
    def failed(self) -> list[Trial]:
        return [t for t in self.trials if not t.ok]

    def to_dataframe(self) -> Any:
        """The trials as a pandas DataFrame, one row each (see :func:`trials_dataframe`)."""
        return trials_dataframe(self.trials, self.layers)


@dataclass
class Settings:
    """``search``'s run settings, checked: a bad value is a one-line error before anything
    starts (no journal written, nothing trained)."""

    reward: Callable[[Arch], float]
    strategy: Strategy | None
    budget: int | None
    seed: int
    workers: int
    journal: str | os.PathLike[str] | None
    progress: bool | None
    executor: Executor | str | None
    timeout: float | None
    retries: int
    max_stall: int
    retry_failed: bool

    def __post_init__(self) -> None:
        if not callable(self.reward):
            raise LayerNASError("reward must be a callable taking an architecture tuple")
        self.strategy = LayerNAS() if self.strategy is None else self.strategy
        if not isinstance(self.strategy, Strategy):
            raise LayerNASError(f"strategy must be a layernas strategy, got {self.strategy!r}")
        self.budget = optional_positive_int(self.budget, "budget")
        self.seed = non_negative_int(self.seed, "seed")
        self.workers = positive_int(self.workers, "workers")
        self.retries = non_negative_int(self.retries, "retries")
        self.max_stall = positive_int(self.max_stall, "max_stall")
        if self.timeout is not None:
            self.timeout = number(self.timeout, "timeout", 0, lo_open=True)
        boolean(self.retry_failed, "retry_failed")
        if self.progress is not None:
            boolean(self.progress, "progress")
        if self.journal is not None and not isinstance(self.journal, (str, os.PathLike)):
            raise LayerNASError(f"journal must be a file path, got {self.journal!r}")
        if self.executor is None:
            self.executor = default_executor(self.workers, self.timeout)
        elif isinstance(self.executor, str):
            self.executor = make_executor(self.executor)
        elif not isinstance(self.executor, Executor):
            raise LayerNASError(
                f"executor must be an executor name or a layernas.executors.Executor, got "
                f"{self.executor!r}"
            )
        self.executor.check(self.reward, self.workers, self.timeout)


def search(
    space: SearchSpace,
    reward: Callable[[Arch], float],
    cost: CostFn,
    cost_range: CostRange,
    strategy: Strategy | None = None,
    budget: int | None = None,
    seed: int = 0,
    workers: int = 1,
    journal: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    executor: Executor | str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    max_stall: int = 10_000,
    retry_failed: bool = True,
) -> SearchResult:
    """Find the highest-reward architecture of ``space`` with cost in ``cost_range``.

    ``cost_range`` is ``(lo, hi)`` in the cost's units, or a
    :class:`~layernas.problem.MaxCostFraction` of the priciest architecture's cost.
    ``budget`` caps trained candidates (rejected and repeated ones are free); ``seed``
    decides the run; ``workers`` trains that many candidates at once; ``journal`` is an
    SQLite path that makes the search resumable (one search writes a journal at a time);
    ``progress`` shows a bar (default: a bar on a terminal, else one line per trial).
    ``max_stall`` stops a strategy that proposes that many candidates in a row without
    training one.

    With a journal every computed cost is stored there too and a resume reuses it. A cost
    whose values are measured rather than computed (latency) must carry an ``identity``
    string attribute: the journal recognises such a cost by it, instead of by evaluating
    it again. A reward may carry an ``identity`` too (a string, or a mapping of the settings
    its values depend on: data set, epochs, learning rate...): a journal made with other
    settings is then refused, naming the setting that differs. On resume, trials that failed
    are trained again, unless ``retry_failed=False``. Cost and reward may carry a ``units``
    string ("MAdds", "%"): the journal records it for ``layernas show`` and reports.

    ``executor`` is an :class:`~layernas.executors.Executor` or its name: ``"inline"``
    (default for one worker), ``"process"`` (a local process pool; default for more
    workers or a timeout) or ``"ray"``; Ray's settings go in
    ``RayExecutor(address=..., resources=...)``.

    With several workers the runner asks up to ``LOOKAHEAD_PER_WORKER`` candidates per
    worker ahead and starts the costliest first (cost as a proxy for training time), so
    workers stay busy up to a layer barrier; outcomes are still told in proposal order.

    Failures: a training that raises, returns NaN/inf or runs past ``timeout`` seconds is
    retried ``retries`` times, then recorded as failed (with its reason; never the answer)
    and the search goes on. A trial whose worker process dies (killed, crashed, a lost
    Ray node) is re-run without using a retry, up to ``MAX_WORKER_DEATHS`` deaths, then
    recorded as failed. If every trial failed, :class:`~layernas.errors.TrialsFailed` is
    raised with the first error (its ``result`` holds the trials). Ctrl-C or SIGTERM stop
    the search cleanly with :class:`~layernas.errors.SearchStopped` (a
    ``KeyboardInterrupt``): the finished trials are in the journal, and the same call resumes.
    """
    if not isinstance(space, SearchSpace):
        raise LayerNASError(f"space must be a layernas.SearchSpace, got {type(space).__name__}")
    if not callable(cost):
        raise LayerNASError("cost must be a callable taking an architecture tuple")
    settings = Settings(reward, strategy, budget, seed, workers, journal, progress, executor,
                        timeout, retries, max_stall, retry_failed)
    strategy = settings.strategy
    store = None if settings.journal is None else Journal(
        settings.journal,
        fingerprint(space, cost, reward, cost_range, strategy.config(), settings.seed),
    )
    try:
        problem = Problem(space, CostCache(cost, store), cost_range)
        if store is not None:
            store.record_cost_range(problem.cost_range)
            store.record_units(declared_units(cost, reward))
            store.record_versions()
        strategy.setup(problem, settings.seed)
        run = _Run(problem, strategy, settings, store)
        with _stop_on_sigterm():
            try:
                run.loop()
            except KeyboardInterrupt as exc:
                if store is not None:
                    store.record_stopped("interrupted; the same call resumes it")
                saved = len(run.trials) if store is None else store.saved()
                raise SearchStopped(getattr(exc, "signum", signal.SIGINT), saved,
                                    None if store is None else str(store.path)) from None
            if store is not None:
                store.record_stopped(run.stop_reason)
    finally:
        if store is not None:
            store.close()
    result = run.result()
    if result.trials and not any(t.ok for t in result.trials):
        first = result.trials[0]
        raise TrialsFailed(
            f"all {len(result.trials)} trials failed, so there is no answer; the first error "
            f"(trial #{first.number}, {first.arch!r}): {first.reason}. Fix the "
            "reward function and run again (with a journal, the same call retries them)",
            result,
        )
    return result


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """SIGTERM stops the search like Ctrl-C (in the main thread, where signals arrive)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SearchStopped(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class Candidate:
    """One asked architecture, from ``ask`` until its outcome is told.

    A candidate to train is charged to the budget with a trial ``number`` and tried
    (``attempt``; ``deaths`` counts workers that died on it); one rejected by the cost
    filter, or a repeat of a known or running architecture, has none and is answered by
    the filter or by that architecture's result.
    """

    arch: Arch
    key: str
    cost: float
    number: int | None = None
    attempt: int = 1
    deaths: int = 0
    answered: bool = False
    reward: float | None = None

    def answer(self, reward: float | None) -> None:
        self.answered, self.reward = True, reward


class _Run:
    """The state of one search loop (kept out of ``search`` so the loop reads plainly)."""

    def __init__(self, problem: Problem, strategy: Strategy, settings: Settings,
                 journal: Journal | None) -> None:
        self.problem = problem
        self.strategy = strategy
        self.settings = settings
        self.journal = journal
        self.budget = math.inf if settings.budget is None else settings.budget
        self.asked: deque[Candidate] = deque()  # in proposal order, until told
        self.pending: list[Candidate] = []  # charged, waiting for a free worker
        self.running: dict[int, Candidate] = {}  # by trial number
        self.waiting: dict[str, list[Candidate]] = {}  # answered by one running training
        self.trials: dict[int, Trial] = {}
        self.known: dict[str, Trial] = {}
        self.stored: dict[str, JournalRow] = {} if journal is None else {
            key: row for key, row in journal.completed.items()
            if row.status == OK or not settings.retry_failed
        }
        self.charged = 0
        self.rejected = 0
        self.reused = 0
        self.adopted = 0
        self.worker_deaths = 0
        self.retried = 0
        self.stall = 0
        self.stop_reason = ""
        self.best: Trial | None = None
        self.snapshot_written: list[KeptRow] = []
        self.bound = strategy.bound()
        name = strategy.name if self.bound is None else f"{strategy.name} (bound {self.bound})"
        self.progress = Progress(settings.progress, name, None)
        self.planned: int | None = -1  # not yet estimated
        self._plan()
        self.pool: Pool | None = None

    # -- main loop ----------------------------------------------------------------
    def loop(self) -> None:
        self.progress.resuming(len(self.stored))
        settings = self.settings
        try:
            self.pool = settings.executor.start(settings.reward, settings.workers,
                                                settings.timeout)
            while True:
                if not self.stop_reason:
                    self._ask_while_capacity()
                self._start_pending()
                if not self.running:
                    break
                for outcome in self.pool.collect():
                    self._complete(outcome)
                self._flush()
        finally:
            if self.pool is not None:
                self.pool.close()
            self.progress.close()
        self._flush()  # the last ask may have closed a layer
        if not self.stop_reason:
            if self.strategy.finished:
                self.stop_reason = STRATEGY_FINISHED
            elif self.charged >= self.budget:
                self.stop_reason = "budget reached"
            else:
                self.stop_reason = "strategy had nothing more to propose"

    def result(self) -> SearchResult:
        trials = sorted(self.trials.values(), key=lambda t: t.number)
        return SearchResult(
            best=best_in_range(trials, self.problem.cost_range),
            trials=trials,
            rejected=self.rejected,
            reused=self.reused,
            bound=self.bound,
            stop_reason=self.stop_reason,
            cost_range=self.problem.cost_range,
            snapshot=self.strategy.snapshot(),
            worker_deaths=self.worker_deaths,
            retried=self.retried,
            from_journal=self.adopted,
            layers=tuple(layer.name for layer in self.problem.space.layers),
        )

    def _plan(self) -> None:
        """Update how many trials this search will have at most (the progress total, kept in
        the journal for ``layernas show``): the budget, or fewer when the strategy can tell
        how many it has left."""
        left = self.strategy.remaining()
        total = min(self.budget, self.charged + (math.inf if left is None else left))
        planned = None if math.isinf(total) else int(total)
        if planned != self.planned:
            self.planned = planned
            self.progress.set_total(planned)
            if self.journal is not None:
                self.journal.record_planned(planned)

    def _ask_while_capacity(self) -> None:
        """Ask until the workers are busy (and, with several, some candidates are asked
        ahead), the budget is met or the strategy waits."""
        workers = self.pool.workers
        ahead = workers + (LOOKAHEAD_PER_WORKER * workers if workers > 1 else 0)
        while len(self.running) + len(self.pending) < ahead and self.charged < self.budget:
            arch = self.strategy.ask()
            if arch is None:
                break
            self._dispatch(arch)
            self._flush()
            if self.stall > self.settings.max_stall:
                self.stop_reason = (
                    f"stalled: {self.stall} proposals in a row were rejected or already trained"
                )
                break
        self._plan()

    def _start_pending(self) -> None:
        """Start asked candidates on free workers, the costliest first (numbers, journal
        rows and tells keep proposal order, so the search is the same)."""
        self.pending.sort(key=lambda c: (-c.cost, c.number))
        while self.pending and len(self.running) < self.pool.workers:
            self._start(self.pending.pop(0))

    def _dispatch(self, arch: Arch) -> None:
        candidate = Candidate(arch, arch_key(arch), self.problem.cost(arch))
        key = candidate.key
        self.asked.append(candidate)
        if not self.strategy.admits(arch, candidate.cost):
            self.rejected += 1
            self.stall += 1
            candidate.answer(None)
            self.progress.note(self._counters())
        elif key in self.known:
            self.reused += 1
            self.stall += 1
            candidate.answer(self.known[key].reward)
        elif key in self.waiting:
            self.reused += 1
            self.stall += 1
            self.waiting[key].append(candidate)
        else:
            self.stall = 0
            candidate.number = self.charged
            self.charged += 1
            self.waiting[key] = [candidate]
            row = self.stored.pop(key, None)
            if row is None:
                self.pending.append(candidate)
            else:
                self.journal.adopted(candidate.number, key)
                self.adopted += 1
                self._record(Trial(candidate.number, arch, candidate.cost, row.reward, row.status,
                                   row.error, row.duration or 0.0, row.attempts), adopted=True)

    def _start(self, candidate: Candidate) -> None:
        self.running[candidate.number] = candidate
        if self.journal is not None:
            self.journal.started(candidate.number, candidate.arch, candidate.cost,
                                 candidate.attempt)
        self.pool.submit(candidate.number, candidate.arch)

    def _complete(self, outcome: Outcome) -> None:
        candidate = self.running.pop(outcome.number)
        error = outcome.error
        reward = None
        if outcome.lost:  # the worker died: not the candidate's fault (until it keeps happening)
            candidate.deaths += 1
            self.worker_deaths += 1
            self.progress.note(self._counters())
            if candidate.deaths < MAX_WORKER_DEATHS:
                self._start(candidate)
                return
            error = (f"{error}; its worker died {candidate.deaths} times running this "
                     "candidate, so it is not re-run")
        elif error is None:
            reward = as_number(outcome.value, f"reward function on {candidate.arch!r}")
            if not math.isfinite(reward):
                error = f"reward function returned {reward}"
                reward = None
        if error is not None and not outcome.lost and candidate.attempt <= self.settings.retries:
            self.retried += 1
            candidate.attempt += 1
            self._start(candidate)
            return
        self._record(Trial(outcome.number, candidate.arch, candidate.cost, reward,
                           OK if error is None else FAILED, error, outcome.duration,
                           candidate.attempt))

    def _record(self, trial: Trial, adopted: bool = False) -> None:
        key = arch_key(trial.arch)
        self.trials[trial.number] = trial
        self.known[key] = trial
        if not adopted and self.journal is not None:
            self.journal.finished(trial)
        if beats(trial, self.best, self.problem.cost_range):
            self.best = trial
        for candidate in self.waiting.pop(key):
            candidate.answer(trial.reward if trial.ok else None)
        self.progress.trial(trial, self.best, adopted, self._counters())

    def _flush(self) -> None:
        """Tell answered candidates to the strategy, in the order they were asked."""
        while self.asked and self.asked[0].answered:
            candidate = self.asked.popleft()
            self.strategy.tell(candidate.arch, candidate.reward)
        if self.journal is not None:
            snapshot = self.strategy.snapshot()
            if snapshot != self.snapshot_written:
                self.journal.snapshot(snapshot)
                self.snapshot_written = snapshot

    def _counters(self) -> dict[str, Any]:
        return {
            "best": "-" if self.best is None else f"{self.best.reward:.4g}",
            "rejected": self.rejected,
            **({"worker deaths": self.worker_deaths} if self.worker_deaths else {}),
        }

