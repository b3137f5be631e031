"""A layernas strategy driven from outcomes that live elsewhere (Optuna's storage, Ray Tune).

:class:`Replay` is the runner's ask/filter/dedup/tell loop without training: it asks the
strategy, answers rejected candidates (cost filter) and repeated architectures itself, tells
outcomes back strictly in proposal order, and hands out only architectures that have
neither an outcome nor a trial running. Its state derives from the seed and the outcomes it
is given, so a fresh ``Replay`` fed a stored history rebuilds the strategy exactly (resume),
and several processes reading one history propose the same sequence.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from layernas.errors import LayerNASError
from layernas.problem import CostFn, Problem
from layernas.space import Arch, SearchSpace, arch_key
from layernas.strategies import LayerNAS, Strategy

#: The answers of :meth:`Replay.next`.
TRAIN, WAIT, FINISHED = "train", "wait", "finished"


@dataclass
class Next:
    """What to do now: ``TRAIN`` ``arch``, ``WAIT`` for the trials of ``waiting`` (a layer
    barrier), or stop (``FINISHED``, with the ``reason``)."""

    action: str
    arch: Arch | None = None
    waiting: list[Arch] = field(default_factory=list)
    reason: str = ""


@dataclass
class _Proposal:
    arch: Arch
    key: str
    rejected: bool


class Replay:
    """``strategy`` on ``space`` with ``cost`` and ``cost_range``, seeded ``seed``.

    ``max_stall`` ends the search when the strategy proposes that many candidates in a row
    that are rejected or already known (as ``ln.search`` does).
    """

    def __init__(
        self,
        space: SearchSpace,
        cost: CostFn,
        cost_range: tuple[float, float],
        strategy: Strategy | None = None,
        seed: int = 0,
        max_stall: int = 10_000,
    ) -> None:
        if not isinstance(space, SearchSpace):
            raise LayerNASError(
                f"space must be a layernas.SearchSpace, got {type(space).__name__}"
            )
        strategy = LayerNAS() if strategy is None else strategy
        if not isinstance(strategy, Strategy):
            raise LayerNASError(f"strategy must be a layernas strategy, got {strategy!r}")
        if not callable(cost):
            raise LayerNASError("cost must be a callable taking an architecture tuple")
        self.problem = Problem(space, cost, cost_range)  # checks the range can be reached
        self.strategy = strategy
        self.seed = seed
        self.max_stall = max_stall
        self.strategy.setup(self.problem, seed)
        self._queue: deque[_Proposal] = deque()
        self._stall = 0
        self._done = ""

    def next(self, outcomes: Mapping[str, float | None], running: Collection[str]) -> Next:
        """The next step, given the outcome of every finished architecture (by
        :func:`~layernas.space.arch_key`; None = failed) and the keys being trained now.

        ``outcomes`` may only grow between calls (a finished trial stays finished).
        """
        while True:
            self._flush(outcomes)
            for proposal in self._queue:
                if not (proposal.rejected or proposal.key in outcomes or proposal.key in running):
                    return Next(TRAIN, proposal.arch)
            if self._done:
                return self._blocked(self._done)
            arch = self.strategy.ask()
            if arch is None:
                if self.strategy.finished:
                    self._done = "strategy finished"
                elif not self.strategy.outstanding:
                    self._done = "strategy had nothing more to propose"
                return self._blocked(self._done)
            cost = self.problem.cost(arch)
            key = arch_key(arch)
            rejected = not self.strategy.admits(arch, cost)
            known = key in outcomes or any(p.key == key for p in self._queue)
            self._stall = self._stall + 1 if rejected or known else 0
            self._queue.append(_Proposal(arch, key, rejected))
            if self._stall > self.max_stall:
                self._done = (
                    f"stalled: {self._stall} proposals in a row were rejected or already trained"
                )

    def _flush(self, outcomes: Mapping[str, float | None]) -> None:
        """Tell the proposals at the head of the queue that have an outcome, in order."""
        while self._queue and (self._queue[0].rejected or self._queue[0].key in outcomes):
            proposal = self._queue.popleft()
            self.strategy.tell(proposal.arch, None if proposal.rejected else outcomes[proposal.key])

    def _blocked(self, reason: str) -> Next:
        """WAIT for the proposals still out, or FINISHED when none is."""
        waiting = [p.arch for p in self._queue if not p.rejected]
        if waiting:
            return Next(WAIT, waiting=list(dict.fromkeys(waiting)))
        return Next(FINISHED, reason=reason)
