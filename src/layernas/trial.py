"""Trials: one trained candidate with its cost, reward, status and timings, and the rule
that picks the answer of a search from them (:func:`beats`, :func:`best_in_range`), used by
the runner, the journal's readers and studies alike; and their table as a pandas DataFrame
(:func:`trials_dataframe`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from layernas.errors import LayerNASError

OK = "ok"
FAILED = "failed"


@dataclass(frozen=True)
class Trial:
    """A trained candidate. ``reward`` is None when the training failed (see ``error``)."""

    number: int
    arch: tuple[Any, ...]
    cost: float
    reward: float | None
    status: str = OK
    error: str | None = None
    duration: float = 0.0
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def reason(self) -> str:
        """Why it failed, in one line: the last line of ``error`` (of a traceback, the
        exception); empty for a success."""
        lines = (self.error or "").strip().splitlines()
        return lines[-1] if lines else ("" if self.ok else "no error text")


class Scored(Protocol):
    """What :func:`best_in_range` reads: a :class:`Trial`, or a journal's row of one."""

    number: int
    cost: float
    reward: float | None
    status: str


T = TypeVar("T", bound=Scored)


def beats(trial: Scored, best: Scored | None, cost_range: tuple[float, float]) -> bool:
    """Whether ``trial`` is a better answer than ``best`` (None: no answer yet): it succeeded,
    its cost is in ``[lo, hi]``, and its reward is higher (on a tie, it was trained first)."""
    lo, hi = cost_range
    return trial.status == OK and lo <= trial.cost <= hi and (
        best is None or trial.reward > best.reward
        or (trial.reward == best.reward and trial.number < best.number)
    )


def best_in_range(trials: Iterable[T], cost_range: tuple[float, float]) -> T | None:
    """The answer of a search: the highest-reward successful trial with cost in range
    (the earliest trained wins ties)."""
    best = None
    for trial in trials:
        if beats(trial, best, cost_range):
            best = trial
    return best


def trials_dataframe(trials: Iterable[Trial], layers: Sequence[str]) -> Any:
    """One row per trial, as Optuna's ``study.trials_dataframe()`` has: ``number``, one column
    per layer name holding the layer's option (``layer:NAME`` where a name is taken by
    another column), ``cost``, ``reward`` (None when failed), ``status``, ``duration``
    (seconds), ``attempts`` and ``error``. Needs pandas (the ``pandas`` extra)."""
    try:
        import pandas as pd
    except ImportError:
        raise LayerNASError(
            "to_dataframe needs pandas; install it with pip install 'layernas[pandas]'"
        ) from None
    fixed = ("number", "cost", "reward", "status", "duration", "attempts", "error")
    names = [f"layer:{name}" if name in fixed else name for name in layers]
    rows = [
        (t.number, *t.arch, t.cost, t.reward, t.status, t.duration, t.attempts, t.error)
        for t in trials
    ]
    columns = [fixed[0], *names, *fixed[1:]]
    return pd.DataFrame.from_records(rows, columns=columns)
