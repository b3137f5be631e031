"""The inline executor: each trial runs in this process, when it is submitted.

No isolation: a reward function that hangs or kills its process hangs or kills the
search (use the process pool or Ray for timeouts and worker deaths).
"""

from __future__ import annotations

from layernas.executors.base import Outcome, RewardFn, evaluate
from layernas.space import Arch


class InlineExecutor:
    """Runs each job in this process when submitted (one at a time, no timeouts)."""

    def __init__(self, reward: RewardFn) -> None:
        self.reward = reward
        self.workers = 1
        self._done: list[Outcome] = []

    def submit(self, number: int, arch: Arch) -> None:
        self._done.append(evaluate(self.reward, number, arch))

    def collect(self) -> list[Outcome]:
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        pass
