"""Reward functions that misbehave on purpose, for the fault-injection and resume tests.

They are picklable module-level classes (process pools and Ray workers import this
module). Which architectures misbehave, and how, is decided by the architecture (and a
seed), so every executor sees the same faults; faults that only hit an architecture's
first attempt count attempts with files in ``state`` (shared by all processes).
"""

from __future__ import annotations

import math
import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from synthetic import Table


def attempt_number(state: str, arch: tuple) -> int:
    """0 for an architecture's first call, 1 for the second, ... (across processes)."""
    key = "-".join(map(str, arch))
    n = 0
    while True:
        try:
            os.close(os.open(Path(state) / f"{key}.{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return n
        except FileExistsError:
            n += 1


def calls(state: str) -> list[tuple]:
    """Every (arch, attempt) that reached the reward function so far."""
    out = []
    for f in Path(state).iterdir():
        key, _, n = f.name.rpartition(".")
        if n.isdigit():
            out.append((tuple(int(x) for x in key.split("-")), int(n)))
    return sorted(out)


@dataclass(frozen=True)
class Faulty:
    """``base`` with faults: a ``flaky`` fraction of archs raise on their first attempt,
    a ``kill_once`` fraction kill their own worker on their first attempt, and the
    named archs always raise / return NaN / hang / kill their worker."""

    base: Table
    state: str
    seed: int = 0
    flaky: float = 0.0
    kill_once: float = 0.0
    raises: frozenset = field(default_factory=frozenset)
    nan: frozenset = field(default_factory=frozenset)
    hang: frozenset = field(default_factory=frozenset)
    killer: frozenset = field(default_factory=frozenset)
    sleep: float = 0.0

    def __call__(self, arch: tuple) -> float:
        attempt = attempt_number(self.state, arch)
        rng = random.Random(f"{self.seed}:{arch}")
        flaky, kill_once = rng.random() < self.flaky, rng.random() < self.kill_once
        if arch in self.killer or (kill_once and attempt == 0):
            os.kill(os.getpid(), signal.SIGKILL)
        if arch in self.hang:
            time.sleep(3600)
        if arch in self.raises:
            raise RuntimeError(f"training of {arch} diverged")
        if flaky and attempt == 0:
            raise RuntimeError(f"transient failure of {arch}")
        if arch in self.nan:
            return math.nan
        if self.sleep:
            time.sleep(self.sleep)
        return self.base(arch)

    @property
    def doomed(self) -> frozenset:
        """Archs that can never succeed."""
        return self.raises | self.nan | self.hang | self.killer


@dataclass(frozen=True)
class Expected:
    """What ``Faulty`` amounts to once retries and re-runs are done: doomed archs fail,
    the rest give ``base`` (runs inline, never misbehaves)."""

    base: Table
    doomed: frozenset

    def __call__(self, arch: tuple) -> float:
        if arch in self.doomed:
            raise RuntimeError("doomed")
        return self.base(arch)


class Crash(BaseException):
    """Stands for the process dying mid-search (not an Exception: it is not caught)."""


class CrashAfter:
    """``reward`` for ``n`` calls, then :class:`Crash` (the driver "dies" mid-search)."""

    def __init__(self, reward, n):
        self.reward, self.n = reward, n

    def __call__(self, arch):
        if self.n == 0:
            raise Crash()
        self.n -= 1
        return self.reward(arch)
