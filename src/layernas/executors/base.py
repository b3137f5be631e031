"""What every executor shares: the :class:`Outcome` of an attempt, :func:`evaluate` (run
in the worker) and the :class:`Executor` protocol the runner drives."""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

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


class Executor(Protocol):
    workers: int

    def submit(self, number: int, arch: Arch) -> None: ...

    def collect(self) -> list[Outcome]:
        """Block until at least one submitted job has completed; return the completed ones."""
        ...

    def close(self) -> None: ...
