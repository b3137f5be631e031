"""The ask/tell contract every search strategy follows.

A strategy proposes architectures (``ask``) and learns their outcome (``tell``):

* ``ask()`` returns an architecture, or ``None`` for "nothing now" (a LayerNAS
  layer barrier, or a sequential strategy waiting for its last proposal). Several
  proposals may be out at once.
* ``tell(arch, reward)`` reports one outcome: a reward, or ``None`` when the
  candidate was rejected by the cost filter or its training failed.
* A subclass implements the protected hooks ``_ask`` and ``_tell`` (and ``_start`` to
  build its run state); callers only use ``setup``, ``ask``, ``tell`` and the read-only
  ``finished``, ``admits``, ``bound``, ``remaining``, ``snapshot`` and ``config``.
* ``snapshot()`` is the strategy's state worth showing, as generic :class:`KeptRow` rows
  (LayerNAS: its memorial tables). The journal stores the latest snapshot whole, and
  ``layernas show`` and reports draw it without knowing which strategy made it.
* A strategy must only propose what is decided by outcomes already told, so the
  runner, which tells outcomes in proposal order, gets the same proposals whatever
  order parallel workers finish in and however many there are.
* All state derives from the seed and the outcomes told: replaying the told
  outcomes into a fresh strategy rebuilds it (that is how a search resumes).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from layernas.problem import Problem
from layernas.space import Arch


@dataclass(frozen=True)
class KeptRow:
    """One candidate a strategy keeps in its state (LayerNAS: a memorial table row).

    ``table`` numbers the strategy's tables (LayerNAS: the layer searched), ``rank`` orders
    rows inside one; ``bucket`` is the cost span the row was kept for (None when the
    strategy keeps no buckets) and ``round`` the pass that made the table.
    """

    table: int
    rank: int
    arch: Arch
    cost: float
    reward: float
    bucket: tuple[float, float] | None = None
    round: int = 0


class Strategy(ABC):
    """Base class: configuration lives in dataclass fields, run state is made by ``setup``."""

    name: str = "strategy"

    def setup(self, problem: Problem, seed: int) -> None:
        """Reset all run state for ``problem``; must be called before ``ask``."""
        self.problem = problem
        self.rng = np.random.default_rng(seed)
        self.outstanding = 0
        self._start()

    def _start(self) -> None:
        """Hook for subclasses to build their run state after ``setup``."""

    @abstractmethod
    def _ask(self) -> Arch | None:
        """The next architecture, or None for "nothing now"."""

    @abstractmethod
    def _tell(self, arch: Arch, reward: float | None) -> None:
        """Learn one outcome (``None``: rejected by the cost filter, or failed)."""

    def ask(self) -> Arch | None:
        """Propose the next architecture, or None for "nothing now"."""
        arch = self._ask()
        if arch is not None:
            self.outstanding += 1
        return arch

    def tell(self, arch: Arch, reward: float | None) -> None:
        """Report the outcome of an architecture this strategy proposed, in proposal order."""
        self.outstanding -= 1
        self._tell(arch, reward)

    @property
    def finished(self) -> bool:
        """True when the strategy will never propose again."""
        return False

    def admits(self, arch: Arch, cost: float) -> bool:
        """The cost filter applied before training: by default, the target range."""
        return self.problem.in_range(cost)

    def bound(self) -> int | None:
        """An upper bound on the candidates this strategy trains, when it has one."""
        return None

    def remaining(self) -> int | None:
        """At most how many more candidates this strategy will propose for training (the
        runner's progress total); None when it cannot tell."""
        return None

    def snapshot(self) -> list[KeptRow]:
        """The candidates the strategy currently keeps (empty for strategies that keep none)."""
        return []

    def where(self, kept: list[KeptRow], layers: list[str]) -> str | None:
        """Where a search with this strategy's options stands, in words, judged from the
        ``kept`` rows of its latest snapshot and the space's layer names alone (no run state:
        ``layernas show`` reads them from a journal); None when it cannot tell."""
        return None

    def config(self) -> dict[str, Any]:
        """The strategy's name and options, for journals and reports."""
        return {"strategy": self.name, **dataclasses.asdict(self)}  # type: ignore[call-overload]

