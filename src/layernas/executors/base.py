"""What every executor shares: the :class:`Outcome` of an attempt, :func:`evaluate` (run
in the worker), the :class:`Executor` base (settings only, what a user passes as
``executor=``) and the :class:`Pool` protocol of a started executor that the runner drives."""

from __future__ import annotations

import os
import pickle
import socket
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from layernas.errors import LayerNASError
from layernas.space import Arch

RewardFn = Callable[[Arch], Any]


@dataclass(frozen=True)
class Outcome:
    """What one attempt at training a candidate gave: a raw value, or an error.

    ``lost`` marks an attempt that ended because its worker died, not because the
    reward function failed.
    """

    number: int
    value: Any = None
    error: str | None = None
    duration: float = 0.0
    worker: str = ""
    lost: bool = False


def evaluate(reward: RewardFn, number: int, arch: Arch) -> Outcome:
    """Run ``reward(arch)``, turning an exception into an error outcome (runs in workers)."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    start = time.perf_counter()
    try:
        value = reward(arch)
    except Exception:  # noqa: BLE001 - any training error is recorded, not raised
        return Outcome(number, error=traceback.format_exc(limit=8), worker=worker,
                       duration=time.perf_counter() - start)
    return Outcome(number, value=value, duration=time.perf_counter() - start, worker=worker)


class Pool(Protocol):
    """A started executor: runs submitted jobs and hands back their outcomes in any order."""

    workers: int

    def submit(self, number: int, arch: Arch) -> None: ...

    def collect(self) -> list[Outcome]:
        """Block until at least one submitted job has completed; return the completed ones."""
        ...

    def close(self) -> None: ...


class Executor(ABC):
    """Where trials run. An instance holds settings only (checked when made); ``start``
    turns it into a running :class:`Pool` for one search."""

    name: ClassVar[str]

    def check(self, reward: RewardFn, workers: int, timeout: float | None) -> None:
        """Refuse, before anything starts, a search this executor cannot run."""

    @abstractmethod
    def start(self, reward: RewardFn, workers: int, timeout: float | None) -> Pool:
        """Start ``workers`` workers running ``reward``, each trial cut at ``timeout`` s."""


def check_picklable(reward: RewardFn) -> None:
    """Workers in other processes receive the reward function pickled."""
    try:
        pickle.dumps(reward)
    except Exception as exc:  # noqa: BLE001 - pickling raises many types
        raise LayerNASError(
            f"the reward function {reward!r} cannot be sent to worker processes ({exc}); "
            "define it at module level (or as a picklable callable object)"
        ) from None
