"""The search runner: ``search(...)`` drives a strategy, an executor and a journal.

It asks the strategy for candidates, rejects those the cost filter refuses (counted,
never charged to the budget), answers repeated architectures from known results,
dispatches the rest to the executor, records every trial in the journal and tells
outcomes back strictly in proposal order, so the search is the same whatever order
workers finish in. With a journal from an interrupted run it resumes: proposals are
replayed and trials the journal holds as finished are adopted instead of trained.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from layernas.errors import LayerNASError
from layernas.executors import Executor, Outcome, make_executor, resolve_executor
from layernas.journal import Journal, read_costs
from layernas.problem import CostCache, CostFn, Problem, as_number
from layernas.space import Arch, SearchSpace, arch_key
from layernas.strategies import LayerNAS, Strategy
from layernas.strategies.base import KeptRow
from layernas.trial import FAILED, OK, Trial
from layernas.validate import non_negative_int, number, optional_positive_int, positive_int

#: A trial whose worker dies this many times is recorded as failed (see ``search``).
MAX_WORKER_DEATHS = 3
#: With several workers, candidates asked ahead per worker: the runner starts the costliest
#: of them first, so a layer's last, longest trainings do not run alone at its barrier.
LOOKAHEAD_PER_WORKER = 4


@dataclass
class SearchResult:
    """What a search found, and what it cost."""

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

    @property
    def trained(self) -> int:
        return len(self.trials)

    @property
    def failed(self) -> list[Trial]:
        return [t for t in self.trials if not t.ok]


@dataclass(frozen=True)
class _Attempt:
    """A trial being trained: which attempt it is, and how many workers died on it."""

    key: str
    arch: Arch
    cost: float
    attempt: int
    deaths: int


@dataclass
class _Proposal:
    """One asked candidate, waiting to be told back in order."""

    arch: Arch
    key: str
    cost: float
    resolved: bool = False
    reward: float | None = None


def best_in_range(trials: list[Trial], cost_range: tuple[float, float]) -> Trial | None:
    """The highest-reward successful trial with cost in range (earliest wins ties)."""
    lo, hi = cost_range
    best = None
    for t in trials:
        if t.ok and lo <= t.cost <= hi and (best is None or t.reward > best.reward):
            best = t
    return best


def search(
    space: SearchSpace,
    reward: Callable[[Arch], float],
    cost: CostFn,
    cost_range: tuple[float, float],
    strategy: Strategy | None = None,
    budget: int | None = None,
    seed: int = 0,
    workers: int = 1,
    journal: str | None = None,
    progress: bool | None = None,
    executor: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    max_stall: int = 10_000,
    ray_address: str | None = None,
    resources: dict[str, Any] | None = None,
) -> SearchResult:
    """Find the highest-reward architecture of ``space`` with cost in ``cost_range``.

    ``budget`` caps trained candidates (rejected and repeated ones are free); ``seed``
    decides the run; ``workers`` trains that many candidates at once; ``journal`` is an
    SQLite path that makes the search resumable; ``progress`` shows a bar (default: on a
    terminal). ``max_stall`` stops a strategy that proposes that many candidates in a row
    without training one.

    With a journal every computed cost is stored there too and a resume reuses it. A cost
    whose values are measured rather than computed (latency) must carry an ``identity``
    string attribute: the journal recognises such a cost by it, instead of by evaluating
    it again. ``cost`` may also be a :class:`~layernas.problem.CostCache` that already
    holds costs (the CLI's, after sizing a range from them).

    ``executor`` is ``"inline"`` (default for one worker), ``"process"`` (a local process
    pool; default for more workers or a timeout) or ``"ray"``: Ray tasks with
    ``resources`` each (default ``{"num_cpus": 1}``; also ``num_gpus``, ``memory`` and
    custom ``resources``), on a local Ray started for the search or, with
    ``ray_address``, on that cluster.

    With several workers the runner asks up to ``LOOKAHEAD_PER_WORKER`` candidates per
    worker ahead and starts the costliest first (cost as a proxy for training time), so
    workers stay busy up to a layer barrier; outcomes are still told in proposal order.

    Failures: a training that raises, returns NaN/inf or runs past ``timeout`` seconds is
    retried ``retries`` times, then recorded as failed (with its reason; never the answer)
    and the search goes on. A trial whose worker process dies (killed, crashed, a lost
    Ray node) is re-run without using a retry, up to ``MAX_WORKER_DEATHS`` deaths, then
    recorded as failed.
    """
    if not isinstance(space, SearchSpace):
        raise LayerNASError(f"space must be a layernas.SearchSpace, got {type(space).__name__}")
    strategy = LayerNAS() if strategy is None else strategy
    if not isinstance(strategy, Strategy):
        raise LayerNASError(f"strategy must be a layernas strategy, got {strategy!r}")
    optional_positive_int(budget, "budget")
    positive_int(workers, "workers")
    if timeout is not None:
        number(timeout, "timeout", 0, lo_open=True)
    non_negative_int(retries, "retries")
    if not callable(reward) or not callable(cost):
        raise LayerNASError("reward and cost must be callables taking an architecture tuple")
    executor = resolve_executor(executor, workers, timeout, ray_address, resources)

    costs = cost if isinstance(cost, CostCache) else CostCache(cost)
    if journal is not None:  # resume with the costs the interrupted run saw
        costs.stored.update(read_costs(journal))
    problem = Problem(space, costs, cost_range)
    strategy.setup(problem, seed)
    run = _Run(problem, strategy, budget if budget is not None else math.inf, max_stall, retries)
    bound = strategy.bound()
    with tqdm(
        total=min((x for x in (budget, bound) if x is not None), default=None),
        disable=None if progress is None else not progress,
        unit="trial",
        desc=strategy.name if bound is None else f"{strategy.name} (bound {bound})",
    ) as bar:
        run.bar = bar
        run.journal = None if journal is None else open_journal(journal, problem, strategy, seed)
        try:
            run.executor = make_executor(executor, reward, workers, timeout, ray_address,
                                         resources)
            try:
                run.loop()
            finally:
                run.executor.close()
        finally:
            if run.journal is not None:
                costs.record = None
                run.journal.close()
    trials = sorted(run.trials.values(), key=lambda t: t.number)
    return SearchResult(
        best=best_in_range(trials, problem.cost_range),
        trials=trials,
        rejected=run.rejected,
        reused=run.reused,
        bound=bound,
        stop_reason=run.stop_reason,
        cost_range=problem.cost_range,
        snapshot=strategy.snapshot(),
        worker_deaths=run.worker_deaths,
        retried=run.retried,
    )


def open_journal(path: str, problem: Problem, strategy: Strategy, seed: int) -> Journal:
    """Open (or create) the journal of this search, refusing one of another search, and
    store costs in it from now on (with those computed while setting up)."""
    costs = problem.cost
    fingerprint = {
        "space": problem.space.describe(),
        "cost_range": list(problem.cost_range),
        "strategy": strategy.config(),
        "seed": seed,
        # the cost function: by its identity, else by its own values on three architectures
        "cost": costs.identity
        or [costs.evaluate(a) for a in (problem.cheapest, problem.priciest, problem.defaults)],
    }
    journal = Journal(path, fingerprint)
    journal.add_costs(costs.computed())
    costs.record = journal.add_cost
    return journal


class _Run:
    """The state of one search loop (kept out of ``search`` so the loop reads plainly)."""

    journal: Journal | None
    executor: Executor
    bar: Any

    def __init__(
        self, problem: Problem, strategy: Strategy, budget: float, max_stall: int, retries: int
    ) -> None:
        self.problem = problem
        self.strategy = strategy
        self.budget = budget
        self.max_stall = max_stall
        self.retries = retries
        self.queue: deque[_Proposal] = deque()
        self.trials: dict[int, Trial] = {}
        self.known: dict[str, Trial] = {}
        self.inflight: dict[int, _Attempt] = {}  # by trial number
        self.pending: list[tuple[int, str, Arch, float]] = []  # asked, not started: number, key, arch, cost
        self.waiting: dict[str, list[_Proposal]] = {}
        self.adoptable: dict[str, Trial] = {}
        self.charged = 0
        self.rejected = 0
        self.reused = 0
        self.worker_deaths = 0
        self.retried = 0
        self.stall = 0
        self.stop_reason = ""
        self.best: Trial | None = None
        self.snapshot_written: list[KeptRow] = []

    # -- main loop ----------------------------------------------------------------
    def loop(self) -> None:
        if self.journal is not None:
            self.adoptable = self.journal.completed()
        while True:
            if not self.stop_reason:
                self._ask_while_capacity()
            self._start_pending()
            if not self.inflight:
                break
            for outcome in self.executor.collect():
                self._complete(outcome)
            self._flush()
        self._flush()  # the last ask may have closed a layer
        if not self.stop_reason:
            if self.strategy.finished:
                self.stop_reason = "strategy finished"
            elif self.charged >= self.budget:
                self.stop_reason = "budget reached"
            else:
                self.stop_reason = "strategy had nothing more to propose"

    def _ask_while_capacity(self) -> None:
        """Ask until the workers are busy (and, with several, some candidates are asked
        ahead), the budget is met or the strategy waits."""
        workers = self.executor.workers
        ahead = workers + (LOOKAHEAD_PER_WORKER * workers if workers > 1 else 0)
        while len(self.inflight) + len(self.pending) < ahead and self.charged < self.budget:
            arch = self.strategy.ask()
            if arch is None:
                break
            self._dispatch(arch)
            self._flush()
            if self.stall > self.max_stall:
                self.stop_reason = (
                    f"stalled: {self.stall} proposals in a row were rejected or already trained"
                )
                break

    def _start_pending(self) -> None:
        """Start asked candidates on free workers, the costliest first (numbers, journal
        rows and tells keep proposal order, so the search is the same)."""
        self.pending.sort(key=lambda p: (-p[3], p[0]))
        while self.pending and len(self.inflight) < self.executor.workers:
            number, key, arch, cost = self.pending.pop(0)
            self._start(number, key, arch, cost, attempt=1)

    def _dispatch(self, arch: Arch) -> None:
        key = arch_key(arch)
        cost = self.problem.cost(arch)
        proposal = _Proposal(arch, key, cost)
        self.queue.append(proposal)
        if not self.strategy.admits(arch, cost):
            self.rejected += 1
            self.stall += 1
            self._resolve(proposal, None)
            self.bar.set_postfix(self._postfix(), refresh=False)
        elif key in self.known:
            self.reused += 1
            self.stall += 1
            trial = self.known[key]
            self._resolve(proposal, trial.reward if trial.ok else None)
        elif key in self.waiting:
            self.reused += 1
            self.stall += 1
            self.waiting[key].append(proposal)
        else:
            self.stall = 0
            number = self.charged
            self.charged += 1
            self.waiting[key] = [proposal]
            if key in self.adoptable:
                stored = self.adoptable.pop(key)
                trial = Trial(number, arch, cost, stored.reward, stored.status, stored.error,
                              stored.duration, stored.attempts)
                self._record(trial, persist=False)
            else:
                self.pending.append((number, key, arch, cost))

    def _start(self, number: int, key: str, arch: Arch, cost: float, attempt: int,
               deaths: int = 0) -> None:
        self.inflight[number] = _Attempt(key, arch, cost, attempt, deaths)
        if self.journal is not None:
            self.journal.started(number, arch, cost, attempt)
        self.executor.submit(number, arch)

    def _complete(self, outcome: Outcome) -> None:
        current = self.inflight.pop(outcome.number)
        key, arch, cost, attempt = current.key, current.arch, current.cost, current.attempt
        error = outcome.error
        reward = None
        if outcome.lost:  # the worker died: not the candidate's fault (until it keeps happening)
            deaths = current.deaths + 1
            self.worker_deaths += 1
            self.bar.set_postfix(self._postfix(), refresh=False)
            if deaths < MAX_WORKER_DEATHS:
                self._start(outcome.number, key, arch, cost, attempt, deaths)
                return
            error = (f"{error}; its worker died {deaths} times running this candidate, "
                     "so it is not re-run")
        elif error is None:
            reward = as_number(outcome.value, f"reward function on {arch!r}")
            if not math.isfinite(reward):
                error = f"reward function returned {reward}"
                reward = None
        if error is not None and not outcome.lost and attempt <= self.retries:
            self.retried += 1
            self._start(outcome.number, key, arch, cost, attempt + 1, current.deaths)
            return
        status = OK if error is None else FAILED
        self._record(Trial(outcome.number, arch, cost, reward, status, error, outcome.duration, attempt))

    def _record(self, trial: Trial, persist: bool = True) -> None:
        key = arch_key(trial.arch)
        self.trials[trial.number] = trial
        self.known[key] = trial
        if persist and self.journal is not None:
            self.journal.finished(trial)
        lo, hi = self.problem.cost_range
        if trial.ok and lo <= trial.cost <= hi and (
            self.best is None or trial.reward > self.best.reward
            or (trial.reward == self.best.reward and trial.number < self.best.number)
        ):
            self.best = trial
        for proposal in self.waiting.pop(key):
            self._resolve(proposal, trial.reward if trial.ok else None)
        self.bar.update(1)
        self.bar.set_postfix(self._postfix(), refresh=False)

    def _resolve(self, proposal: _Proposal, reward: float | None) -> None:
        proposal.resolved = True
        proposal.reward = reward

    def _flush(self) -> None:
        """Tell resolved proposals to the strategy, in the order they were asked."""
        while self.queue and self.queue[0].resolved:
            proposal = self.queue.popleft()
            self.strategy.tell(proposal.arch, proposal.reward)
        if self.journal is not None:
            snapshot = self.strategy.snapshot()
            if snapshot != self.snapshot_written:
                self.journal.snapshot(snapshot)
                self.snapshot_written = snapshot

    def _postfix(self) -> dict[str, Any]:
        return {
            "best": "-" if self.best is None else f"{self.best.reward:.4g}",
            "rejected": self.rejected,
            **({"worker deaths": self.worker_deaths} if self.worker_deaths else {}),
        }
